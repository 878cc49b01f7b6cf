import { IsotypError } from '@isotyp/protocol';
import { asc, eq, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import type { Store, WebhookDeliveryRecord } from '../store.js';
import type { Driver } from './driver.js';
import { allOf, first } from './query.js';

type Webhooks = Pick<Store, 'webhooks'>;

/** Raised inside `enqueue`'s transaction when another replica moved the cursor first. */
const MOVED = new IsotypError('ISOTYP_CONFLICT', 'The event cursor moved.');

/**
 * Webhooks, the deliveries owed to them and the dead letters. Every check-and-write is one
 * conditional statement or one transaction, so replicas sharing the database never enqueue an
 * event twice for a webhook nor work on one delivery at once.
 */
export function webhookStore(driver: Driver): Webhooks {
  const { tables: t, run } = driver;
  const w = t.webhooks;
  const d = t.webhookDeliveries;
  const dl = t.webhookDeadLetters;
  const c = t.eventCursors;

  return {
    webhooks: {
      create: async (webhook) => void (await run.insert('webhooks', webhook)),
      reseal: async (id, from, to) =>
        (await run.update('webhooks', { secret: to }, allOf(eq(w.id, id), eq(w.secret, from)))).length > 0,
      get: (orgId, id) => first(run.select('webhooks', allOf(eq(w.orgId, orgId), eq(w.id, id)))),
      list: (orgId) => run.select('webhooks', eq(w.orgId, orgId), { orderBy: [asc(w.createdAt), asc(w.id)] }),
      all: () => run.select('webhooks', undefined, { orderBy: [asc(w.id)] }),
      delete: (orgId, id) =>
        driver.atomically(async () => {
          await run.delete('webhookDeliveries', allOf(eq(d.orgId, orgId), eq(d.webhookId, id)));
          await run.delete('webhookDeadLetters', allOf(eq(dl.orgId, orgId), eq(dl.webhookId, id)));
          return (await run.delete('webhooks', allOf(eq(w.orgId, orgId), eq(w.id, id)))) > 0;
        }),
      async cursor(name) {
        return (await first(run.select('eventCursors', eq(c.name, name))))?.seq;
      },
      async enqueue(name, from, to, deliveries) {
        try {
          await driver.atomically(async () => {
            const now = deliveries[0]?.createdAt ?? new Date().toISOString();
            // The cursor row first: of two replicas, the second waits here for the first to
            // commit, then finds the cursor moved and stores nothing.
            if (from === undefined) {
              if (!(await run.insert('eventCursors', { name, seq: to, updatedAt: now }, [c.name]))) throw MOVED;
            } else if (
              (await run.update('eventCursors', { seq: to, updatedAt: now }, allOf(eq(c.name, name), eq(c.seq, from))))
                .length === 0
            ) {
              throw MOVED;
            }
            for (const delivery of deliveries) await run.insert('webhookDeliveries', delivery, [d.id]);
          });
          return true;
        } catch (error) {
          if (error === MOVED) return false;
          throw error;
        }
      },
      async claim(now, until, limit) {
        const due = await run.select(
          'webhookDeliveries',
          allOf(
            eq(d.status, 'pending'),
            lte(d.nextAttemptAt, now),
            or(isNull(d.claimedUntil), lt(d.claimedUntil, now)),
          ),
          { orderBy: [asc(d.nextAttemptAt), asc(d.id)], limit },
        );
        const claimed: WebhookDeliveryRecord[] = [];
        for (const candidate of due) {
          // One conditional UPDATE per row: the database gives each row to one replica.
          const [row] = await run.update(
            'webhookDeliveries',
            { claimedUntil: until, attempts: candidate.attempts + 1 },
            allOf(
              eq(d.id, candidate.id),
              eq(d.status, 'pending'),
              eq(d.attempts, candidate.attempts),
              or(isNull(d.claimedUntil), lt(d.claimedUntil, now)),
            ),
          );
          if (row !== undefined) claimed.push(row);
        }
        return claimed;
      },
      async delivered(id, at) {
        await run.update(
          'webhookDeliveries',
          { status: 'delivered', deliveredAt: at, claimedUntil: null },
          eq(d.id, id),
        );
      },
      async retryLater(id, nextAttemptAt, lastError) {
        await run.update(
          'webhookDeliveries',
          { nextAttemptAt, lastError, claimedUntil: null },
          allOf(eq(d.id, id), eq(d.status, 'pending')),
        );
      },
      bury: (delivery, lastError, at) =>
        driver.atomically(async () => {
          if ((await run.delete('webhookDeliveries', allOf(eq(d.id, delivery.id), eq(d.status, 'pending')))) === 0)
            return;
          await run.insert(
            'webhookDeadLetters',
            {
              id: delivery.id,
              orgId: delivery.orgId,
              webhookId: delivery.webhookId,
              eventSeq: delivery.eventSeq,
              attempts: delivery.attempts,
              lastError,
              deadAt: at,
              createdAt: delivery.createdAt,
            },
            [dl.id],
          );
        }),
      deliveries: (orgId, filter) =>
        run.select(
          'webhookDeliveries',
          allOf(
            eq(d.orgId, orgId),
            filter.webhookId === undefined ? undefined : eq(d.webhookId, filter.webhookId),
            filter.status === undefined ? undefined : eq(d.status, filter.status),
          ),
          {
            orderBy: [asc(d.eventSeq), asc(d.id)],
            limit: filter.limit,
          },
        ),
      deadLetters: (orgId, filter) =>
        run.select(
          'webhookDeadLetters',
          allOf(eq(dl.orgId, orgId), filter.webhookId === undefined ? undefined : eq(dl.webhookId, filter.webhookId)),
          { orderBy: [asc(dl.eventSeq), asc(dl.id)], limit: filter.limit },
        ),
      replay: (orgId, filter, at) =>
        driver.atomically(async () => {
          const letters = await run.select(
            'webhookDeadLetters',
            allOf(
              eq(dl.orgId, orgId),
              filter.webhookId === undefined ? undefined : eq(dl.webhookId, filter.webhookId),
              filter.ids === undefined ? undefined : inArray(dl.id, [...filter.ids]),
            ),
            { orderBy: [asc(dl.eventSeq)] },
          );
          const replayed: string[] = [];
          for (const letter of letters) {
            if ((await run.delete('webhookDeadLetters', eq(dl.id, letter.id))) === 0) continue;
            await run.insert('webhookDeliveries', {
              id: letter.id,
              orgId: letter.orgId,
              webhookId: letter.webhookId,
              eventSeq: letter.eventSeq,
              status: 'pending',
              attempts: 0,
              nextAttemptAt: at,
              createdAt: letter.createdAt,
            });
            replayed.push(letter.id);
          }
          return replayed;
        }),
    },
  };
}
