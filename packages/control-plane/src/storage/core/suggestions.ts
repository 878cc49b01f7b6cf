import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Store, SuggestionFilter } from '../store.js';
import type { Driver, Tables } from './driver.js';
import { allOf, first } from './query.js';

type Suggestions = Pick<Store, 'suggestions'>;

/** Schema-advisor suggestions: one row per (organisation, target, proposal digest), and their review. */
export function suggestionStore({ tables: t, run }: Driver): Suggestions {
  const s = t.suggestions;
  return {
    suggestions: {
      async report(records) {
        let created = 0;
        let updated = 0;
        for (const record of records) {
          // Insert, or — the digest is known on this target — refresh it: two statements, each
          // atomic, and the unique (org, target, digest) decides which of two racing reports
          // inserts; the other updates the row the first made.
          if (await run.insert('suggestions', record, [s.orgId, s.targetId, s.digest])) {
            created++;
            continue;
          }
          const ended = allOf(eq(s.state, 'snoozed'), lte(s.snoozedUntil, record.lastSeenAt));
          const set = {
            source: record.source,
            objects: record.objects,
            impact: record.impact,
            confidence: record.confidence,
            risk: record.risk,
            score: record.score,
            editCount: record.editCount,
            lastSeenAt: record.lastSeenAt,
            updatedAt: record.updatedAt,
            // The review stays; only a snooze that has ended gives way to `new`.
            state: sql`CASE WHEN ${ended} THEN 'new' ELSE ${s.state} END`,
            snoozedUntil: sql`CASE WHEN ${ended} THEN NULL ELSE ${s.snoozedUntil} END`,
          };
          const same = allOf(eq(s.orgId, record.orgId), eq(s.targetId, record.targetId), eq(s.digest, record.digest));
          if ((await run.update('suggestions', set, same)).length > 0) updated++;
        }
        return { created, updated };
      },
      get: (orgId, id) => first(run.select('suggestions', allOf(eq(s.orgId, orgId), eq(s.id, id)))),
      async list(orgId, filter) {
        if (filter.states?.length === 0 || filter.targetIds?.length === 0) return [];
        const where = allOf(
          eq(s.orgId, orgId),
          filter.targetIds === undefined ? undefined : inArray(s.targetId, [...filter.targetIds]),
          filter.states === undefined ? undefined : statesAt(s, filter),
          filter.drafted === undefined ? undefined : filter.drafted ? isNotNull(s.changeId) : isNull(s.changeId),
          filter.planned === undefined ? undefined : filter.planned ? isNotNull(s.draft) : isNull(s.draft),
        );
        return run.select('suggestions', where, {
          orderBy: [desc(s.score), asc(s.createdAt), asc(s.id)],
          limit: filter.limit,
        });
      },
      async review(orgId, id, review) {
        if (review.from.length === 0) return undefined;
        const set = {
          state: review.to,
          reviewerUserId: review.reviewerUserId,
          reason: review.reason ?? null,
          reviewedAt: review.now,
          snoozedUntil: review.snoozedUntil ?? null,
          updatedAt: review.now,
        };
        // One UPDATE … WHERE state IN (from): of two reviewers at once, one finds it still open.
        const open = allOf(eq(s.orgId, orgId), eq(s.id, id), inArray(s.state, [...review.from]));
        return first(run.update('suggestions', set, open));
      },
      drafted: (orgId, id, changeId, now) =>
        first(
          run.update(
            'suggestions',
            { changeId, updatedAt: now },
            allOf(eq(s.orgId, orgId), eq(s.id, id), eq(s.state, 'accepted'), isNull(s.changeId)),
          ),
        ),
      attachDraft: (orgId, id, draft, at) =>
        first(
          run.update(
            'suggestions',
            { draft, draftedAt: at, updatedAt: at },
            // The same condition as `drafted`: once a change names the suggestion, its plan is settled.
            allOf(eq(s.orgId, orgId), eq(s.id, id), eq(s.state, 'accepted'), isNull(s.changeId)),
          ),
        ),
    },
  };
}

/** The stored states that are `filter.states` at `filter.now`: a snooze that has ended is `new`. */
function statesAt(s: Tables['suggestions'], filter: SuggestionFilter): SQL | undefined {
  const states = filter.states ?? [];
  const asStored = states.filter((state) => state !== 'new' && state !== 'snoozed');
  const conditions: (SQL | undefined)[] = [asStored.length === 0 ? undefined : inArray(s.state, asStored)];
  if (states.includes('new')) {
    conditions.push(eq(s.state, 'new'), and(eq(s.state, 'snoozed'), lte(s.snoozedUntil, filter.now)));
  }
  if (states.includes('snoozed')) {
    conditions.push(and(eq(s.state, 'snoozed'), or(isNull(s.snoozedUntil), gt(s.snoozedUntil, filter.now))));
  }
  return or(...conditions);
}
