import { IsotypError } from '@isotyp/protocol';
import { asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import type { Driver } from './driver.js';
import { allOf, first } from './query.js';

type Changes = Pick<Store, 'changes' | 'approvals'>;

/** Change requests and the signed approvals on them. */
export function changeStore({ tables: t, run }: Driver): Changes {
  const c = t.changes;
  return {
    changes: {
      create: async (change) => void (await run.insert('changes', change)),
      get: (orgId, id) => first(run.select('changes', allOf(eq(c.orgId, orgId), eq(c.id, id)))),
      async list(orgId, filter) {
        if (filter.states?.length === 0) return [];
        const where = allOf(
          eq(c.orgId, orgId),
          filter.projectId === undefined ? undefined : eq(c.projectId, filter.projectId),
          filter.environmentId === undefined ? undefined : eq(c.environmentId, filter.environmentId),
          filter.targetId === undefined ? undefined : eq(c.targetId, filter.targetId),
          filter.states === undefined ? undefined : inArray(c.state, filter.states),
          filter.before === undefined ? undefined : lt(c.createdAt, filter.before),
        );
        return run.select('changes', where, { orderBy: [desc(c.createdAt), desc(c.id)], limit: filter.limit });
      },
      async transition(orgId, id, from, to, now, reason) {
        if (from.length === 0) return undefined;
        // One UPDATE … WHERE state IN (from) RETURNING: the database decides which of several
        // concurrent transitions still finds the state in `from`; the others update nothing.
        const set = {
          state: to,
          updatedAt: now,
          revision: sql`${c.revision} + 1`,
          ...(reason === undefined ? {} : { reason }),
        };
        return first(run.update('changes', set, allOf(eq(c.orgId, orgId), eq(c.id, id), inArray(c.state, from))));
      },
    },
    approvals: {
      async create(approval) {
        if (!(await run.insert('approvals', approval, [t.approvals.orgId, t.approvals.nonce]))) {
          throw new IsotypError('ISOTYP_APPROVAL_REPLAYED', 'This approval was already presented once.', {
            hint: 'Sign a fresh approval; each one carries a new nonce.',
          });
        }
      },
      forChange: (orgId, changeId) =>
        run.select('approvals', allOf(eq(t.approvals.orgId, orgId), eq(t.approvals.changeId, changeId)), {
          orderBy: [asc(t.approvals.createdAt), asc(t.approvals.id)],
        }),
    },
  };
}
