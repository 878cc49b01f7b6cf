import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import type { Store } from '../storage/store.js';

export interface TransactionOptions {
  store: Store;
  /** Write requests that run outside a transaction (each of their statements commits alone). */
  exempt?: (path: string) => boolean;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Thrown inside the transaction to roll it back once the handler has answered with an error. */
const ROLLBACK = new IsotypError('ISOTYP_INTERNAL', 'rolled back');

/**
 * Every write request is one transaction: what its handler writes — the change, the audit entry
 * that records it (the event every replica and webhook announces, see events/), the idempotency
 * record of the answer — commits together when the handler answers, or not at all when it
 * fails (an answer of 500 or more). So a request that fails half-way leaves nothing behind, and no event is announced
 * for a write that did not happen or lost for one that did. A commit that fails turns the
 * answer into that failure (ISOTYP_UNAVAILABLE), never a success for something not stored.
 *
 * Mount after authentication and rate limits (which must not wait on, or be undone with, the
 * request's transaction) and before idempotency.
 *
 * @example
 * app.use('/v1/*', transaction({ store, exempt: (path) => path === '/v1/agent/heartbeat' }));
 */
export function transaction({ store, exempt = () => false }: TransactionOptions): MiddlewareHandler<AppEnv> {
  return async function transactionMiddleware(c, next) {
    if (!WRITES.has(c.req.method) || exempt(c.req.path)) return next();
    try {
      await store.atomically(async () => {
        await next();
        // A failure was already turned into the answer; undo what the handler wrote. A refusal
        // (4xx) commits: it is decided before anything is written, or what was written is the
        // record of the refusal itself — a tamper alert, a session family revoked on token reuse.
        if (c.error !== undefined && c.res.status >= 500) throw ROLLBACK;
      });
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
  };
}
