import { IsotypError, isIsotypError } from '@isotyp/protocol';
import type { Store } from '../store.js';

/*
 * Driver errors stop at the Store boundary. Each dialect sorts its driver's errors into these
 * kinds; the kinds become IsotypErrors here, once. Messages never repeat the driver's text: it
 * can hold row values (PostgreSQL's DETAIL) or, through drizzle's "Failed query" wrapper, the
 * statement's parameters.
 */

export type FailureKind = 'unique' | 'foreign_key' | 'invalid_value' | 'unavailable' | 'other';

export interface Failure {
  kind: FailureKind;
  /** Constraint or column names (never values), when the driver names them. */
  constraint?: string;
}

/**
 * The driver's own error behind drizzle's "Failed query" wrapper (`cause`): the first one with
 * a string `code`, else the innermost.
 */
export function driverError(error: unknown): (Error & { code?: string }) | undefined {
  let current: unknown = error;
  let innermost: Error | undefined;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (typeof (current as { code?: unknown }).code === 'string') return current as Error & { code: string };
    innermost = current;
    current = current.cause;
  }
  return innermost;
}

export function failureToError(failure: Failure, cause: unknown): IsotypError {
  const details = failure.constraint === undefined ? undefined : { constraint: failure.constraint };
  switch (failure.kind) {
    case 'unique':
      return new IsotypError('ISOTYP_CONFLICT', 'An object with the same identity already exists.', {
        hint: 'Use another id or name, or fetch the existing object.',
        details,
      });
    case 'foreign_key':
      return new IsotypError(
        'ISOTYP_NOT_FOUND',
        'The object refers to another that does not exist in this organisation.',
        {
          hint: 'Create the organisation, project, environment, target or user it refers to first.',
          details,
        },
      );
    case 'invalid_value':
      return new IsotypError('ISOTYP_INVALID_INPUT', 'A value does not fit the stored form.', { details });
    case 'unavailable':
      return new IsotypError('ISOTYP_UNAVAILABLE', "The control plane's database is not reachable right now.", {
        hint: 'Check that the database is up and reachable, then retry.',
        cause,
      });
    case 'other':
      return new IsotypError('ISOTYP_INTERNAL', 'The database failed unexpectedly.', { cause: driverError(cause) });
    default:
      return failure.kind satisfies never;
  }
}

/**
 * The store with every method's failure passed through `toError`, so no driver error escapes;
 * IsotypErrors the store throws on purpose go through untouched.
 */
export function guardStore(store: Store, toError: (error: unknown) => IsotypError): Store {
  const wrap =
    (method: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]): Promise<unknown> => {
      try {
        return await method(...args);
      } catch (error) {
        throw isIsotypError(error) ? error : toError(error);
      }
    };
  const guardGroup = (group: object) =>
    Object.fromEntries(
      Object.entries(group).map(([name, value]) => [name, typeof value === 'function' ? wrap(value) : value]),
    );
  const guarded = Object.fromEntries(
    Object.entries(store).map(([name, value]) => [
      name,
      // stamp() is synchronous and touches no database that could fail; atomically() passes on
      // what its work throws and converts its own failures (see create-store.ts).
      name === 'stamp' || name === 'atomically'
        ? value
        : typeof value === 'function'
          ? wrap(value)
          : typeof value === 'object' && value !== null
            ? guardGroup(value)
            : value,
    ]),
  );
  return guarded as unknown as Store;
}

/**
 * `url` with anything that may be a password replaced by `***`: the password of the authority
 * (`user:***@host`), a `password=` parameter, and, in a string that is no URL with a host,
 * everything before an `@`.
 */
export function redactUrl(url: string): string {
  const params = (text: string) => text.replace(/(password=)[^&#]*/gi, '$1***');
  try {
    const parsed = new URL(url);
    if (parsed.host !== '') {
      if (parsed.password !== '') parsed.password = '***';
      return params(parsed.toString());
    }
  } catch {
    // Not a URL: handled below like one without a host.
  }
  const at = url.lastIndexOf('@');
  return params(at === -1 ? url : `***${url.slice(at)}`);
}

/** What a store opened `alone` answers when another control plane has the database open. */
export function inUse(what: string): IsotypError {
  return new IsotypError('ISOTYP_CONFLICT', `Another process has the control plane's database open (${what}).`, {
    hint: 'Stop every control plane using this database (each replica and worker), then run the command again.',
  });
}
