import { describe, expect, it } from 'vitest';
import type { CurrentStore } from './store-suite.js';

/** Shared rate-limit counts: sums per key and window, added in one statement, pruned by age. */
export function rateLimitCases(store: CurrentStore): void {
  describe('rate-limit counts', () => {
    it('add each row to its key and window and return the sums', async () => {
      const first = await store().rateLimits.add([
        { key: 'user:a', windowStart: 60_000, count: 3 },
        { key: 'user:b', windowStart: 60_000, count: 1 },
      ]);
      expect(first).toEqual(
        expect.arrayContaining([
          { key: 'user:a', windowStart: 60_000, count: 3 },
          { key: 'user:b', windowStart: 60_000, count: 1 },
        ]),
      );
      const second = await store().rateLimits.add([
        { key: 'user:a', windowStart: 60_000, count: 2 },
        { key: 'user:a', windowStart: 120_000, count: 7 },
      ]);
      expect(second).toEqual(
        expect.arrayContaining([
          { key: 'user:a', windowStart: 60_000, count: 5 },
          { key: 'user:a', windowStart: 120_000, count: 7 },
        ]),
      );
      expect(await store().rateLimits.add([])).toEqual([]);
      expect(await store().rateLimits.prune(100_000)).toBe(2);
      expect(await store().rateLimits.add([{ key: 'user:a', windowStart: 120_000, count: 1 }])).toEqual([
        { key: 'user:a', windowStart: 120_000, count: 8 },
      ]);
    });
  });
}
