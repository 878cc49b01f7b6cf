import type { Store, StoreTable } from './store.js';

export interface ReadCacheOptions<V> {
  /** The tables what is cached was read from: a write to any of them drops every entry. */
  tables: readonly StoreTable[];
  /** Entries kept at most; the oldest goes first. */
  max: number;
  /**
   * For values that also depend on the clock (a review turns when an approval expires): the
   * instant (ms since the epoch) from which a value must be loaded again.
   */
  validUntil?: (value: V) => number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Entry<V> {
  stamp: string;
  value: Promise<V>;
  /** Milliseconds since the epoch from which the value must be loaded again. */
  until: number;
  /** The value once its load has succeeded (boxed: a loaded value may itself be undefined). */
  loaded: { value: V } | undefined;
}

/**
 * Values read from the store, kept while `store.stamp(tables)` says none of their tables has been
 * written since — by this process or, as far as the store can follow, by any other. Concurrent
 * misses for one key share one load. When the store cannot follow other writers, nothing is
 * served from memory.
 *
 * @example
 * const principals = new ReadCache<Principal>(store, { tables: ['users', 'roleGrants'], max: 10_000 });
 * const principal = await principals.get(`${orgId}/${userId}`, () => loadPrincipal(orgId, userId));
 */
export class ReadCache<V> {
  readonly #store: Store;
  readonly #tables: readonly StoreTable[];
  readonly #max: number;
  readonly #validUntil: ((value: V) => number) | undefined;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(store: Store, options: ReadCacheOptions<V>) {
    this.#store = store;
    this.#tables = options.tables;
    this.#max = options.max;
    this.#validUntil = options.validUntil;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value kept for `key` if it is loaded and still current, else undefined — without a
   * promise, for callers on every request's path that would otherwise wait a turn for a value
   * already in memory. A miss says nothing: `get` it then.
   */
  peek(key: string): V | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined || !hit.loaded) return undefined;
    return this.#current(hit, this.#store.stamp(this.#tables)) ? hit.loaded.value : undefined;
  }

  /**
   * The cached value for `key`, or what `load` gives (then kept). The stamp is taken before the
   * load: a write that lands during it makes the entry stale at once, never served afterwards.
   * A load that fails is not kept.
   */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const stamp = this.#store.stamp(this.#tables);
    if (stamp === undefined) return load();
    const hit = this.#entries.get(key);
    // A load still running has until = Infinity: it is shared, whatever it will turn out to be.
    if (hit !== undefined && this.#current(hit, stamp)) return hit.value;
    const value = load();
    if (hit === undefined && this.#entries.size >= this.#max) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    const entry: Entry<V> = { stamp, value, until: Number.POSITIVE_INFINITY, loaded: undefined };
    this.#entries.set(key, entry);
    value.then(
      (loaded) => {
        if (this.#validUntil !== undefined) entry.until = this.#validUntil(loaded);
        entry.loaded = { value: loaded };
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return value;
  }

  /** Whether `entry` was loaded under `stamp` (which the store could give) and has not turned since. */
  #current(entry: Entry<V>, stamp: string | undefined): boolean {
    return stamp !== undefined && entry.stamp === stamp && this.#now() < entry.until;
  }
}
