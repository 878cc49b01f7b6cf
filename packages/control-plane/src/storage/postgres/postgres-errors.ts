import { IsotypError } from '@isotyp/protocol';
import { driverError, type Failure } from '../core/errors.js';

/*
 * node-postgres errors sorted into the store's failure kinds: SQLSTATE codes from the server,
 * errno codes and a few bare messages from the client side of a lost connection.
 */

const UNAVAILABLE_STATES = /^(08|53|57P0|40001|40P01|3D000|28)/;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Cannot use a pool after calling end|timeout exceeded when trying to connect/;

export function classify(error: unknown): Failure {
  const cause = driverError(error) as (Error & { code?: string; constraint?: string }) | undefined;
  const code = cause?.code ?? '';
  const constraint = cause?.constraint;
  if (code === '23505') return { kind: 'unique', constraint };
  if (code === '23503') return { kind: 'foreign_key', constraint };
  if (code === '23502' || code === '23514' || code.startsWith('22')) return { kind: 'invalid_value', constraint };
  if (UNAVAILABLE_STATES.test(code) || UNAVAILABLE_ERRNOS.has(code)) return { kind: 'unavailable' };
  if (cause !== undefined && UNAVAILABLE_MESSAGES.test(cause.message)) return { kind: 'unavailable' };
  return { kind: 'other' };
}

/**
 * Why the first connection failed, for the operator: a refused login or a missing database is
 * configuration, anything else the server being unreachable. `safeUrl` has no password.
 */
export function connectFailure(error: unknown, safeUrl: string): IsotypError {
  const code = driverError(error)?.code ?? '';
  if (code.startsWith('28') || code === '3D000') {
    return new IsotypError('ISOTYP_CONFIG_INVALID', `PostgreSQL at ${safeUrl} refused the connection (${code}).`, {
      hint: 'Check the user, password and database name in the database URL.',
      details: { sqlstate: code },
      cause: driverError(error),
    });
  }
  return new IsotypError('ISOTYP_UNAVAILABLE', `Cannot connect to PostgreSQL at ${safeUrl}.`, {
    hint: 'Check that the server is running and reachable from the control plane, then retry.',
    details: code === '' ? undefined : { code },
    cause: driverError(error),
  });
}
