import type { Logger } from 'pino';
import { redactUrl } from '../storage/core/errors.js';
import type { Store } from '../storage/store.js';
import type { EventHub } from './event-hub.js';
import { readEvents } from './event-log.js';
import { Rounds } from './rounds.js';

export interface NatsSettings {
  /** `nats://host:port` of a NATS server with JetStream enabled. */
  url: string;
  /** The JetStream stream the events go to (made when missing). */
  stream: string;
  /** Subjects are `<prefix>.<org>.<event type>`, e.g. `isotyp.events.acme.change.approve`. */
  subjectPrefix: string;
}

/** The shared audit-log cursor of what was published. */
const CURSOR = 'nats';
const PAGE = 500;
const TICK_MS = 1000;

/**
 * Publishes the organisation's events to NATS JetStream for consumers outside Isotyp (a SIEM,
 * a data platform). Every replica runs one; they share one cursor in the database. Each event
 * is published with its id as `Nats-Msg-Id`, so JetStream's de-duplication drops what two
 * replicas (or a replica that died between publishing and moving the cursor) send twice; the
 * cursor only moves after the publish was acknowledged, so nothing is skipped while NATS is
 * away — the relay catches up when it is back.
 */
export class NatsRelay {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #settings: NatsSettings;
  #connection: import('nats').NatsConnection | undefined;
  #jetstream: import('nats').JetStreamClient | undefined;
  readonly #rounds: Rounds;
  #failing = false;

  constructor(options: { store: Store; logger: Logger; settings: NatsSettings }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#settings = options.settings;
    this.#rounds = new Rounds(
      async () => {
        await this.#round();
        if (this.#failing)
          this.#logger.info({ nats: redactUrl(this.#settings.url) }, 'publishing events to NATS again');
        this.#failing = false;
      },
      (error) => {
        if (!this.#failing) {
          this.#logger.warn(
            { nats: redactUrl(this.#settings.url), err: { message: (error as Error).message } },
            'publishing events to NATS failed; retrying',
          );
        }
        this.#failing = true;
      },
      TICK_MS,
    );
  }

  start(hub: EventHub): void {
    this.#rounds.start(hub);
  }

  async stop(): Promise<void> {
    await this.#rounds.stop();
    await this.#connection?.close().catch(() => {});
  }

  async #connect(): Promise<import('nats').JetStreamClient> {
    if (this.#jetstream !== undefined && this.#connection !== undefined && !this.#connection.isClosed()) {
      return this.#jetstream;
    }
    const { connect } = await import('nats');
    const connection = await connect({
      servers: this.#settings.url,
      name: 'isotyp-control-plane',
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 3000,
    });
    const manager = await connection.jetstreamManager();
    try {
      await manager.streams.info(this.#settings.stream);
    } catch {
      await manager.streams.add({ name: this.#settings.stream, subjects: [`${this.#settings.subjectPrefix}.>`] });
    }
    this.#connection = connection;
    this.#jetstream = connection.jetstream();
    return this.#jetstream;
  }

  async #round(): Promise<void> {
    const jetstream = await this.#connect();
    for (;;) {
      const cursor = await this.#store.webhooks.cursor(CURSOR);
      if (cursor === undefined) {
        // First start: outside consumers get what happens from now on.
        await this.#store.webhooks.enqueue(CURSOR, undefined, (await this.#store.audit.size()) - 1, []);
        continue;
      }
      const events = await readEvents(this.#store, cursor, PAGE);
      if (events.length === 0) return;
      const encoder = new TextEncoder();
      for (const event of events) {
        const subject = `${this.#settings.subjectPrefix}.${token(event.org)}.${event.type}`;
        await jetstream.publish(subject, encoder.encode(JSON.stringify(event)), { msgID: event.id, timeout: 5000 });
      }
      await this.#store.webhooks.enqueue(CURSOR, cursor, (events.at(-1) as { seq: number }).seq, []);
      if (events.length < PAGE) return;
    }
  }
}

/** An id as one subject token: dots would split it. */
function token(id: string): string {
  return id.replaceAll('.', '_');
}
