import { and, asc, desc, eq, gt, gte, isNotNull, isNull, lt, or } from 'drizzle-orm';
import type { IdempotencyClaim, Store } from '../store.js';
import type { Driver } from './driver.js';
import { allOf, first } from './query.js';

type Ledger = Pick<Store, 'audit' | 'agentCheckpoints' | 'idempotency'>;

/** The log has one signing key, in the row with this id. */
const LOG_KEY_ID = 'audit-log';

/**
 * The audit log (with its signing key and the agents' accepted checkpoints) and the idempotency
 * keys: the tables written on (nearly) every request.
 */
export function ledgerStore({ tables: t, run, appendAudit }: Driver): Ledger {
  const a = t.auditEntries;
  const k = t.idempotencyKeys;
  const c = t.agentCheckpoints;
  const ofAgent = (orgId: string, agentId: string) => allOf(eq(c.orgId, orgId), eq(c.agentId, agentId));
  const logKey = () => first(run.select('auditLogKeys', eq(t.auditLogKeys.id, LOG_KEY_ID)));
  const keyOf = (principal: string, key: string) => allOf(eq(k.principal, principal), eq(k.key, key));

  return {
    audit: {
      append: (build) => appendAudit(build),
      async size() {
        // seq has no gaps, so the size is the last seq + 1, read from the primary key, not a count(*).
        const last = await first(run.select('auditEntries', undefined, { orderBy: [desc(a.seq)], limit: 1 }));
        return last === undefined ? 0 : last.seq + 1;
      },
      range: (from, to) => run.select('auditEntries', and(gte(a.seq, from), lt(a.seq, to)), { orderBy: [asc(a.seq)] }),
      byEntity: (orgId, kind, id, page = {}) =>
        run.select(
          'auditEntries',
          allOf(
            eq(a.orgId, orgId),
            eq(a.entityKind, kind),
            eq(a.entityId, id),
            page.after === undefined ? undefined : gt(a.seq, page.after),
          ),
          { orderBy: [asc(a.seq)], ...(page.limit === undefined ? {} : { limit: page.limit }) },
        ),
      logKey,
      async initLogKey(key) {
        // The first insert wins; every replica then reads and uses the winner's key.
        await run.insert('auditLogKeys', { ...key, id: LOG_KEY_ID }, [t.auditLogKeys.id]);
        const stored = await logKey();
        if (stored === undefined) throw new Error('The audit log key vanished right after it was stored.');
        return stored;
      },
      async resealLogKey(from, to) {
        const where = allOf(eq(t.auditLogKeys.id, LOG_KEY_ID), eq(t.auditLogKeys.seed, from));
        return (await run.update('auditLogKeys', { seed: to }, where)).length > 0;
      },
    },
    agentCheckpoints: {
      latest: (orgId, agentId) =>
        first(run.select('agentCheckpoints', ofAgent(orgId, agentId), { orderBy: [desc(c.ordinal)], limit: 1 })),
      list: (orgId, agentId) => run.select('agentCheckpoints', ofAgent(orgId, agentId), { orderBy: [asc(c.ordinal)] }),
      append: (checkpoint) => run.insert('agentCheckpoints', checkpoint, [c.orgId, c.agentId, c.ordinal]),
    },
    idempotency: {
      async claim(principal, key, requestHash, now): Promise<IdempotencyClaim> {
        // INSERT … ON CONFLICT DO NOTHING decides the owner; the loser reads what the winner
        // stored. A claim released between those two statements is simply claimed again.
        for (;;) {
          if (
            await run.insert('idempotencyKeys', { principal, key, requestHash, createdAt: now }, [k.principal, k.key])
          ) {
            return { kind: 'claimed' };
          }
          const row = await first(run.select('idempotencyKeys', keyOf(principal, key)));
          if (row === undefined) continue;
          if (row.requestHash !== requestHash) return { kind: 'mismatch' };
          if (row.status === undefined || row.body === undefined) return { kind: 'in_progress' };
          return { kind: 'replay', status: row.status, body: row.body };
        }
      },
      async complete(principal, key, status, body) {
        await run.update('idempotencyKeys', { status, body }, keyOf(principal, key));
      },
      async answers(after, limit) {
        const past =
          after === undefined
            ? undefined
            : or(gt(k.principal, after.principal), and(eq(k.principal, after.principal), gt(k.key, after.key)));
        const rows = await run.select('idempotencyKeys', allOf(isNotNull(k.body), past), {
          orderBy: [asc(k.principal), asc(k.key)],
          limit,
        });
        return rows.flatMap((row) =>
          row.body === undefined ? [] : [{ principal: row.principal, key: row.key, body: row.body }],
        );
      },
      async reseal(principal, key, from, to) {
        return (
          (await run.update('idempotencyKeys', { body: to }, allOf(keyOf(principal, key), eq(k.body, from)))).length > 0
        );
      },
      async release(principal, key) {
        // Only a pending claim: an answered key must keep replaying its answer.
        await run.delete('idempotencyKeys', allOf(keyOf(principal, key), isNull(k.status)));
      },
      prune: async (before, pendingBefore) =>
        (await run.delete('idempotencyKeys', allOf(isNotNull(k.status), lt(k.createdAt, before)))) +
        (pendingBefore === undefined
          ? 0
          : await run.delete('idempotencyKeys', allOf(isNull(k.status), lt(k.createdAt, pendingBefore)))),
    },
  };
}
