import { lt } from 'drizzle-orm';
import type { Store } from '../store.js';
import type { Driver } from './driver.js';

type RateLimits = Pick<Store, 'rateLimits'>;

/** Request counts per rate-limit key and window, summed across replicas (middleware/shared-counts.ts). */
export function rateLimitStore({ tables: t, run }: Driver): RateLimits {
  const r = t.rateLimitCounts;
  return {
    rateLimits: {
      add: (rows) => run.accumulate('rateLimitCounts', rows, [r.key, r.windowStart], 'count'),
      prune: (before) => run.delete('rateLimitCounts', lt(r.windowStart, before)),
    },
  };
}
