import { describe, expect, it } from 'vitest';
import { at, auditEntry, rejectsWith } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

export function ledgerCases(store: CurrentStore): void {
  describe('audit log', () => {
    it('appends at seq 0, 1, 2 … and reads ranges and entities', async () => {
      expect(await store().audit.size()).toBe(0);
      const first = await store().audit.append(auditEntry('org_a', 'change.submit', 'chg_1'));
      expect(first).toEqual(auditEntry('org_a', 'change.submit', 'chg_1')(0));
      await store().audit.append(auditEntry('org_b', 'change.submit', 'chg_1'));
      await store().audit.append(auditEntry('org_a', 'change.approve', 'chg_1'));
      await store().audit.append(auditEntry('org_a', 'change.submit', 'chg_2'));
      expect(await store().audit.size()).toBe(4);
      expect((await store().audit.range(1, 3)).map((e) => e.seq)).toEqual([1, 2]);
      expect(await store().audit.range(0, 1)).toStrictEqual([first]);
      expect(await store().audit.range(4, 10)).toEqual([]);
      const entity = await store().audit.byEntity('org_a', 'change', 'chg_1');
      expect(entity.map((e) => [e.seq, e.action])).toEqual([
        [0, 'change.submit'],
        [2, 'change.approve'],
      ]);
    });

    it('refuses an entry built for another seq, and appends nothing', async () => {
      await rejectsWith(
        store().audit.append((seq) => ({ ...auditEntry('org_a', 'x', 'e')(seq), seq: seq + 1 })),
        'ISOTYP_INTERNAL',
      );
      expect(await store().audit.size()).toBe(0);
    });
  });

  describe('idempotency keys', () => {
    it('claims, reports in-progress and mismatches, then replays the answer', async () => {
      const { idempotency } = store();
      expect(await idempotency.claim('usr_1', 'k1', 'hash-a', at(0))).toEqual({ kind: 'claimed' });
      expect(await idempotency.claim('usr_1', 'k1', 'hash-a', at(1))).toEqual({ kind: 'in_progress' });
      expect(await idempotency.claim('usr_1', 'k1', 'hash-b', at(1))).toEqual({ kind: 'mismatch' });
      // Keys are per principal.
      expect(await idempotency.claim('usr_2', 'k1', 'hash-b', at(1))).toEqual({ kind: 'claimed' });
      await idempotency.complete('usr_1', 'k1', 201, '{"id":"chg_1"}');
      expect(await idempotency.claim('usr_1', 'k1', 'hash-a', at(2))).toEqual({
        kind: 'replay',
        status: 201,
        body: '{"id":"chg_1"}',
      });
      expect(await idempotency.claim('usr_1', 'k1', 'hash-b', at(2))).toEqual({ kind: 'mismatch' });
      // Answers (not pending claims) are listed, and sealed anew only from what they are.
      expect(await idempotency.answers(undefined, 10)).toEqual([
        { principal: 'usr_1', key: 'k1', body: '{"id":"chg_1"}' },
      ]);
      await idempotency.claim('usr_1', 'k2', 'hash-c', at(2));
      await idempotency.complete('usr_1', 'k2', 200, 'two');
      await idempotency.claim('usr_0', 'k9', 'hash-d', at(2));
      await idempotency.complete('usr_0', 'k9', 200, 'zero');
      // A page at a time, by (principal, key), the pending claim of usr_2 left out.
      const first = await idempotency.answers(undefined, 2);
      expect(first.map((a) => `${a.principal}/${a.key}`)).toEqual(['usr_0/k9', 'usr_1/k1']);
      const second = await idempotency.answers(first[1], 2);
      expect(second.map((a) => `${a.principal}/${a.key}`)).toEqual(['usr_1/k2']);
      expect(await idempotency.reseal('usr_1', 'k1', 'other', 'sealed:v1:x')).toBe(false);
      expect(await idempotency.reseal('usr_1', 'k1', '{"id":"chg_1"}', 'sealed:v1:x')).toBe(true);
      expect(await idempotency.claim('usr_1', 'k1', 'hash-a', at(3))).toMatchObject({ body: 'sealed:v1:x' });
    });

    it('releases a pending claim for a retry, but never an answered one', async () => {
      const { idempotency } = store();
      await idempotency.claim('usr_1', 'pending', 'h', at(0));
      await idempotency.release('usr_1', 'pending');
      expect(await idempotency.claim('usr_1', 'pending', 'other-body', at(1))).toEqual({ kind: 'claimed' });
      await idempotency.claim('usr_1', 'done', 'h', at(0));
      await idempotency.complete('usr_1', 'done', 200, 'ok');
      await idempotency.release('usr_1', 'done');
      expect(await idempotency.claim('usr_1', 'done', 'h', at(1))).toMatchObject({ kind: 'replay', body: 'ok' });
    });

    it('prunes answered keys older than the cutoff only', async () => {
      const { idempotency } = store();
      await idempotency.claim('p', 'old-done', 'h', at(0));
      await idempotency.complete('p', 'old-done', 200, 'ok');
      await idempotency.claim('p', 'old-pending', 'h', at(0));
      await idempotency.claim('p', 'new-done', 'h', at(100));
      await idempotency.complete('p', 'new-done', 200, 'ok');
      expect(await idempotency.prune(at(50))).toBe(1);
      expect(await idempotency.claim('p', 'old-done', 'h', at(200))).toEqual({ kind: 'claimed' });
      expect(await idempotency.claim('p', 'old-pending', 'h', at(200))).toEqual({ kind: 'in_progress' });
      expect(await idempotency.claim('p', 'new-done', 'h', at(200))).toMatchObject({ kind: 'replay' });
    });

    it('prunes claims left pending by a request that died, but not one still running', async () => {
      const { idempotency } = store();
      await idempotency.claim('p', 'dead', 'h', at(0));
      await idempotency.claim('p', 'running', 'h', at(100));
      expect(await idempotency.prune(at(0), at(50))).toBe(1);
      expect(await idempotency.claim('p', 'dead', 'h', at(200))).toEqual({ kind: 'claimed' });
      expect(await idempotency.claim('p', 'running', 'h', at(200))).toEqual({ kind: 'in_progress' });
    });
  });
}
