import type { Logger } from 'pino';
import type { RateLimitCount, Store } from '../storage/store.js';

export interface SharedCountsOptions {
  /** Where the sums are kept: the store (replicas on PostgreSQL) or the primary process (workers, see cluster/). */
  counts: Store['rateLimits'];
  logger: Logger;
  /** How often this replica adds what it counted to the shared sums (and learns them). */
  flushMs?: number;
  /** Windows older than this (ms) are pruned from the table. */
  keepMs: number;
}

/** The key of one rate-limit key's count in one window, wherever counts are kept. */
export const slot = (key: string, windowStart: number) => `${windowStart} ${key}`;

/**
 * Rate-limit counts shared by every replica through the database, so that a client spreading
 * its requests over N replicas gets the limit once, not N times. Each replica counts in memory
 * and every `flushMs` adds its counts to the shared sums in one statement, learning the sums in
 * the same round trip; between flushes it knows the others' counts as of its last flush. The
 * limit can so be overrun by what other replicas admit within one flush interval — a bounded
 * error, for one small statement per interval instead of one per request.
 */
export class SharedCounts {
  readonly #counts: Store['rateLimits'];
  readonly #logger: Logger;
  readonly #keepMs: number;
  readonly #pending = new Map<string, RateLimitCount>();
  readonly #sums = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> | undefined;
  #prunedAt = Date.now();
  #warned = false;

  constructor(options: SharedCountsOptions) {
    this.#counts = options.counts;
    this.#logger = options.logger;
    this.#keepMs = options.keepMs;
    this.#timer = setInterval(() => void this.flush(), options.flushMs ?? 200);
    this.#timer.unref();
  }

  /** Counts one request of `key` in the window starting at `windowStart`. */
  add(key: string, windowStart: number): void {
    const id = slot(key, windowStart);
    const pending = this.#pending.get(id);
    if (pending === undefined) this.#pending.set(id, { key, windowStart, count: 1 });
    else pending.count++;
  }

  /** Every replica's count for the key and window as far as known here, or undefined. */
  count(key: string, windowStart: number): number | undefined {
    const id = slot(key, windowStart);
    const sum = this.#sums.get(id);
    if (sum === undefined) return undefined;
    return sum + (this.#pending.get(id)?.count ?? 0);
  }

  /** Sends what was counted since the last flush; one flush at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const rows = [...this.#pending.values()].map((row) => ({ ...row }));
    this.#pending.clear();
    try {
      for (const stored of await this.#counts.add(rows)) {
        this.#sums.set(slot(stored.key, stored.windowStart), stored.count);
      }
      this.#warned = false;
    } catch (error) {
      // The database is away: count on alone (the local limit still holds) and try again.
      for (const row of rows) {
        const id = slot(row.key, row.windowStart);
        const pending = this.#pending.get(id);
        if (pending === undefined) this.#pending.set(id, row);
        else pending.count += row.count;
      }
      if (!this.#warned) this.#logger.warn({ err: error }, 'sharing rate-limit counts failed; limiting per replica');
      this.#warned = true;
    }
    const now = Date.now();
    if (now - this.#prunedAt >= this.#keepMs) {
      this.#prunedAt = now;
      const before = now - this.#keepMs;
      for (const [id, _] of this.#sums) if (Number(id.slice(0, id.indexOf(' '))) < before) this.#sums.delete(id);
      await this.#counts.prune(before).catch(() => 0);
    }
  }
}
