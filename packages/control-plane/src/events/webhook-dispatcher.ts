import { eventMatches, signWebhook, WEBHOOK_HEADERS } from '@isotyp/protocol';
import type { Logger } from 'pino';
import { SecretSeal, webhookContext } from '../storage/sealed-secrets.js';
import type { Store, WebhookDeliveryRecord, WebhookRecord } from '../storage/store.js';
import type { EventHub } from './event-hub.js';
import { eventOf } from './event-log.js';
import { Rounds } from './rounds.js';

export interface WebhookSettings {
  /** Tries before a delivery moves to the dead letters. */
  maxAttempts: number;
  /** Wait before the second try; each further try waits twice as long (with jitter), up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest wait for a receiver's answer. */
  timeoutMs: number;
}

/** The audit-log cursor of the enqueueing step (shared by every replica). */
const CURSOR = 'webhooks';
/** Entries turned into deliveries per transaction. */
const PAGE = 500;
/** Deliveries one replica sends at once. */
const CONCURRENCY = 16;
/** Look for due retries at least this often. */
const TICK_MS = 250;

/**
 * Turns the audit log's new entries into webhook deliveries and sends them, on every replica at
 * once without sending one twice at the same time:
 *
 * 1. enqueue — the entries after the shared cursor become one delivery per matching webhook,
 *    stored with the cursor's move in one transaction (a replica that lost the race stores
 *    nothing), so each event is owed to each webhook exactly once;
 * 2. deliver — due deliveries are claimed row by row with a conditional UPDATE (one replica
 *    each) for a while; a replica killed mid-send leaves a claim that expires and another
 *    replica sends again. So delivery is at least once: receivers de-duplicate on the event id.
 *
 * A 2xx answer delivers; anything else (status, timeout, refused connection) is retried after
 * `baseDelayMs · 2^(tries-1)`, jittered, capped; after `maxAttempts` tries the delivery moves to
 * the dead letters, which `isotyp webhooks replay` puts back. What a receiver answered is kept as
 * a short code (`http_503`, `timeout`), never its body.
 */
export class WebhookDispatcher {
  readonly #store: Store;
  readonly #seal: SecretSeal;
  readonly #logger: Logger;
  readonly #settings: WebhookSettings;
  readonly #now: () => Date;
  readonly #rounds: Rounds;
  readonly #sending = new Set<Promise<void>>();

  constructor(options: {
    store: Store;
    logger: Logger;
    settings: WebhookSettings;
    /** Opens the webhooks' sealed secrets (see SecretSeal). */
    seal?: SecretSeal;
    now?: () => Date;
  }) {
    this.#store = options.store;
    this.#seal = options.seal ?? SecretSeal.of(undefined);
    this.#logger = options.logger;
    this.#settings = options.settings;
    this.#now = options.now ?? (() => new Date());
    this.#rounds = new Rounds(
      () => this.#round(),
      (error) => this.#logger.warn({ err: error }, 'webhook round failed; retrying'),
      TICK_MS,
    );
  }

  start(hub: EventHub): void {
    this.#rounds.start(hub);
  }

  /** Stops taking new work and waits for the sends in flight. */
  async stop(): Promise<void> {
    await this.#rounds.stop();
    await Promise.allSettled([...this.#sending]);
  }

  /** Runs a round now (or right after the one running). */
  kick(): void {
    this.#rounds.kick();
  }

  async #round(): Promise<void> {
    await this.#enqueue();
    await this.#deliver();
  }

  async #enqueue(): Promise<void> {
    let hooks: WebhookRecord[] | undefined;
    for (;;) {
      const cursor = await this.#store.webhooks.cursor(CURSOR);
      if (cursor === undefined) {
        // First start of the feature: webhooks are owed what happens from now on.
        const start = (await this.#store.audit.size()) - 1;
        await this.#store.webhooks.enqueue(CURSOR, undefined, start, []);
        continue;
      }
      const entries = await this.#store.audit.range(cursor + 1, cursor + 1 + PAGE);
      if (entries.length === 0) return;
      hooks ??= await this.#store.webhooks.all();
      const createdAt = this.#now().toISOString();
      const deliveries: WebhookDeliveryRecord[] = [];
      for (const entry of entries) {
        for (const hook of hooks) {
          // A webhook hears of what happens from its creation on.
          if (hook.orgId !== entry.orgId || entry.time < hook.createdAt) continue;
          if (!eventMatches(hook.events, entry.action)) continue;
          deliveries.push({
            id: `${hook.id}:${entry.seq}`,
            orgId: hook.orgId,
            webhookId: hook.id,
            eventSeq: entry.seq,
            status: 'pending',
            attempts: 0,
            nextAttemptAt: createdAt,
            createdAt,
          });
        }
      }
      const last = (entries.at(-1) as { seq: number }).seq;
      await this.#store.webhooks.enqueue(CURSOR, cursor, last, deliveries);
      if (entries.length < PAGE) return;
    }
  }

  async #deliver(): Promise<void> {
    for (;;) {
      const room = CONCURRENCY - this.#sending.size;
      if (room <= 0 || this.#rounds.stopped) return;
      const now = this.#now();
      const until = new Date(now.getTime() + this.#settings.timeoutMs * 2 + 5000).toISOString();
      const claimed = await this.#store.webhooks.claim(now.toISOString(), until, room);
      if (claimed.length === 0) return;
      for (const delivery of claimed) {
        const sending = this.#send(delivery).catch((error: unknown) =>
          this.#logger.warn({ err: error, delivery: delivery.id }, 'recording a webhook delivery failed'),
        );
        this.#sending.add(sending);
        void sending.finally(() => {
          this.#sending.delete(sending);
          this.kick();
        });
      }
    }
  }

  async #send(delivery: WebhookDeliveryRecord): Promise<void> {
    const hook = await this.#store.webhooks.get(delivery.orgId, delivery.webhookId);
    const [entry] = await this.#store.audit.range(delivery.eventSeq, delivery.eventSeq + 1);
    if (hook === undefined || entry === undefined) return; // deleted meanwhile (cascade)
    const body = JSON.stringify(eventOf(entry));
    const timestamp = Math.floor(this.#now().getTime() / 1000);
    const outcome = await post(
      hook.url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': 'isotyp-webhooks/1',
        [WEBHOOK_HEADERS.delivery]: delivery.id,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(
          this.#seal.open(hook.secret, webhookContext(hook.id)),
          timestamp,
          body,
        ),
      },
      this.#settings.timeoutMs,
    );
    const at = this.#now();
    if (outcome === 'ok') {
      await this.#store.webhooks.delivered(delivery.id, at.toISOString());
      return;
    }
    if (delivery.attempts >= this.#settings.maxAttempts) {
      await this.#store.webhooks.bury(delivery, outcome, at.toISOString());
      this.#logger.warn(
        { webhook: hook.id, delivery: delivery.id, attempts: delivery.attempts, lastError: outcome },
        'webhook delivery failed every try; moved to the dead letters',
      );
      return;
    }
    const wait = backoffMs(delivery.attempts, this.#settings);
    await this.#store.webhooks.retryLater(delivery.id, new Date(at.getTime() + wait).toISOString(), outcome);
  }
}

/**
 * Wait before try `attempts + 1`: base · 2^(attempts-1), capped, then "equal jitter" (between
 * half and all of it), so receivers coming back are not hit by every replica at once.
 */
export function backoffMs(attempts: number, settings: Pick<WebhookSettings, 'baseDelayMs' | 'maxDelayMs'>): number {
  const full = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(full / 2 + (Math.random() * full) / 2);
}

/** POSTs `body`; 'ok' for a 2xx answer, otherwise a short code of what happened. */
async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel().catch(() => {});
    return response.status >= 200 && response.status < 300 ? 'ok' : `http_${response.status}`;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code === undefined ? 'connect_failed' : `connect_failed:${code}`;
  }
}
