import { type DomainEvent, eventMatches } from '@isotyp/protocol';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { readEvents } from './event-log.js';

/** Entries read per query. */
const PAGE = 500;
/** How often the audit table's stamp is looked at (a memory read; NOTIFY or a local write moves it). */
const WATCH_MS = 20;
/** Read the log at least this often, whatever the stamp says (covers a notification lost in a reconnect). */
const POLL_MS = 1000;
/** Events kept for one subscriber before it must read the log itself (see Subscription). */
export const QUEUE_LIMIT = 1000;

export interface SubscribeOptions {
  orgId: string;
  /** Patterns as in `eventMatches`; absent: every event of the organisation. */
  types?: readonly string[];
  /** The last seq the subscriber has (exclusive resume point); -1 for everything. */
  after: number;
}

/**
 * One consumer's view of the stream. Live events are queued as the hub reads them; a consumer
 * that falls `QUEUE_LIMIT` behind (a slow client: the write to its socket waits) is switched to
 * reading the log itself at its own pace — memory stays bounded and nothing is skipped. `next`
 * hands out what is due, reading the log while behind.
 */
export class Subscription {
  readonly orgId: string;
  readonly #types: readonly string[] | undefined;
  readonly #hub: EventHub;
  #cursor: number;
  #queue: DomainEvent[] = [];
  #behind = true;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(hub: EventHub, options: SubscribeOptions) {
    this.#hub = hub;
    this.orgId = options.orgId;
    this.#types = options.types;
    this.#cursor = options.after;
  }

  /** The last seq handed out (or skipped as another organisation's). */
  get cursor(): number {
    return this.#cursor;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Events held in memory for this consumer (at most QUEUE_LIMIT). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Called by the hub for every new event, in seq order. */
  offer(event: DomainEvent): void {
    if (this.#closed || this.#behind) {
      this.#wake?.();
      return;
    }
    if (this.#queue.length >= QUEUE_LIMIT) {
      this.#queue = [];
      this.#behind = true;
    } else {
      this.#queue.push(event);
    }
    this.#wake?.();
  }

  /**
   * The next events for this consumer (possibly none, after `idleMs` with nothing new, so the
   * caller can send a keep-alive). Empty and closed once `close` was called.
   */
  async next(idleMs: number): Promise<DomainEvent[]> {
    for (;;) {
      if (this.#closed) return [];
      if (this.#behind) {
        const page = await readEvents(this.#hub.store, this.#cursor, PAGE);
        const due = this.#take(page);
        if (this.#cursor >= this.#hub.last) {
          // Caught up with what the hub has handed out (it offered nothing to this queue while
          // behind): live from here on.
          this.#behind = false;
          this.#queue = [];
        }
        if (due.length > 0) return due;
        if (page.length > 0 || this.#behind) continue;
      }
      if (this.#queue.length > 0) {
        const queued = this.#queue;
        this.#queue = [];
        const due = this.#take(queued);
        if (due.length > 0) return due;
        continue;
      }
      const woke = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), idleMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      this.#wake = undefined;
      if (!woke) return [];
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#hub.unsubscribe(this);
    this.#wake?.();
  }

  /** Of `events`, those after the cursor and for this consumer; moves the cursor past all. */
  #take(events: readonly DomainEvent[]): DomainEvent[] {
    const due: DomainEvent[] = [];
    for (const event of events) {
      if (event.seq <= this.#cursor) continue;
      this.#cursor = event.seq;
      if (event.org !== this.orgId) continue;
      if (this.#types !== undefined && !eventMatches(this.#types, event.type)) continue;
      due.push(event);
    }
    return due;
  }
}

/**
 * Fans the log's new entries out to this replica's subscribers (SSE clients, the webhook
 * dispatcher). It learns of new entries from `Store.stamp(['auditEntries'])`, which moves on a
 * local write at once and on another replica's commit through PostgreSQL's LISTEN/NOTIFY; it
 * reads the log at least every second besides. One reader per replica, whatever the number of
 * subscribers.
 */
export class EventHub {
  readonly store: Store;
  readonly #logger: Logger;
  readonly #subscriptions = new Set<Subscription>();
  readonly #listeners = new Set<(last: number) => void>();
  #last = -1;
  #stamp: string | undefined;
  #readAt = 0;
  #reading = false;
  #timer: NodeJS.Timeout | undefined;
  #starting: Promise<void> | undefined;
  #started = false;
  #stopped = false;

  constructor(store: Store, logger: Logger) {
    this.store = store;
    this.#logger = logger;
  }

  /** The highest seq read from the log and handed to subscribers. */
  get last(): number {
    return this.#last;
  }

  get subscribers(): number {
    return this.#subscriptions.size;
  }

  /**
   * Follows the log while anyone listens: started by the first subscriber or listener, idle
   * again (no timer, no query) once the last one is gone.
   */
  #ensureRunning(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => this.#watch(), WATCH_MS);
    this.#timer.unref();
    this.#starting ??= this.store.audit.size().then(
      (size) => {
        this.#last = Math.max(this.#last, size - 1);
        this.#started = true;
      },
      (error: unknown) => {
        this.#starting = undefined;
        this.#logger.warn({ err: error }, 'reading the audit log size failed; retrying');
      },
    );
  }

  #idleIfUnused(): void {
    if (this.#subscriptions.size > 0 || this.#listeners.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    // Started again, it begins at the log's end then, not where it stopped.
    this.#starting = undefined;
    this.#started = false;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const subscription of this.#subscriptions) subscription.close();
    this.#listeners.clear();
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription = new Subscription(this, options);
    this.#subscriptions.add(subscription);
    this.#ensureRunning();
    return subscription;
  }

  unsubscribe(subscription: Subscription): void {
    this.#subscriptions.delete(subscription);
    this.#idleIfUnused();
  }

  /** Calls `listener` with the new last seq each time the hub has read further. */
  onAdvance(listener: (last: number) => void): () => void {
    this.#listeners.add(listener);
    this.#ensureRunning();
    return () => {
      this.#listeners.delete(listener);
      this.#idleIfUnused();
    };
  }

  #watch(): void {
    if (this.#reading || !this.#started) return;
    const stamp = this.store.stamp(['auditEntries']);
    if (stamp !== undefined && stamp === this.#stamp && Date.now() - this.#readAt < POLL_MS) return;
    this.#reading = true;
    this.#read(stamp)
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'reading new events failed; retrying'))
      .finally(() => {
        this.#reading = false;
      });
  }

  async #read(stamp: string | undefined): Promise<void> {
    this.#readAt = Date.now();
    for (;;) {
      const events = await readEvents(this.store, this.#last, PAGE);
      for (const event of events) {
        this.#last = event.seq;
        for (const subscription of this.#subscriptions) subscription.offer(event);
      }
      if (events.length > 0) for (const listener of this.#listeners) listener(this.#last);
      if (events.length < PAGE) break;
    }
    // Only now: a write that landed during the read moves the stamp again and is read next tick.
    this.#stamp = stamp;
  }
}
