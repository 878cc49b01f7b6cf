import { setTimeout as delay } from 'node:timers/promises';
import { type DomainEvent, domainEventSchema, IsotypError, isIsotypError } from '@isotyp/protocol';
import type { EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { z } from 'zod';
import { type ControlPlaneClient, parseAnswer } from './client.js';

/** An event type (`change.approve`), a prefix of them ending in `*` (`change.*`), or `*`. */
export const EVENT_PATTERN = /^(\*|[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*|\*)?)$/;

export interface FollowOptions {
  /** Event types or prefixes (see EVENT_PATTERN); all types when absent. */
  types?: readonly string[];
  /** Start after this seq (-1: from the first event); from now on when absent. */
  after?: number;
  /** Stop after this many events; follow until `signal` when absent. */
  limit?: number;
  signal?: AbortSignal;
  onEvent: (event: DomainEvent) => void;
  /** Each (re)connection, with the seq it resumes after. */
  onReady?: (after: number) => void;
  /** A lost connection, before waiting `delayMs` to open it again after `after`. */
  onReconnect?: (error: IsotypError, delayMs: number, after: number | undefined) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** The first wait before reconnecting, doubled after each failed attempt up to the longest. */
const FIRST_RECONNECT_MS = 500;
const LONGEST_RECONNECT_MS = 15_000;

/**
 * Follows the organisation's events (`GET /v1/events`, server-sent events) and hands each one,
 * checked against the protocol's schema, to `onEvent` in seq order. A lost connection — the
 * network, a control plane restarting, a replica going away — is opened again after a backoff
 * (0.5 s doubling to 15 s, for as long as it takes), resuming after the last event received
 * (or after the point the first connection started from), so nothing is missed or repeated.
 * A refusal (no permission, a bad filter, a session that cannot be refreshed) ends it with the
 * control plane's error. Resolves with how many events it handed on once `limit` is reached or
 * `signal` aborts.
 *
 * @example
 * await followEvents(client, { types: ['change.*'], onEvent: (e) => console.log(e.seq, e.type) });
 */
export async function followEvents(
  client: ControlPlaneClient,
  options: FollowOptions,
): Promise<{ events: number; after: number | undefined }> {
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, { signal: options.signal }).catch(() => {}));
  let after = options.after;
  let events = 0;
  let failures = 0;
  const done = () => options.signal?.aborted === true || (options.limit !== undefined && events >= options.limit);
  while (!done()) {
    // One controller a connection, tied to the caller's signal, so the stream ends with either.
    const connection = new AbortController();
    const stop = () => connection.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      const body = await client.stream('/v1/events', {
        query: {
          ...(after === undefined ? {} : { after }),
          ...(options.types === undefined || options.types.length === 0 ? {} : { types: options.types.join(',') }),
        },
        signal: connection.signal,
      });
      await readStream(body, (message) => {
        if (message.event === 'ready') {
          const ready = readyOf(message.data);
          // The first connection's starting point becomes the resume point of the next ones.
          after ??= ready;
          failures = 0;
          options.onReady?.(ready);
          return true;
        }
        const event = parseAnswer(domainEventSchema, jsonOf(message.data), 'GET /v1/events');
        if (after !== undefined && event.seq <= after) return true;
        after = event.seq;
        events++;
        options.onEvent(event);
        return !done();
      });
      if (done()) break;
      // The control plane ended the stream (it is shutting down, say): open it again.
      throw new IsotypError('ISOTYP_UNAVAILABLE', `The control plane at ${client.server} closed the event stream.`);
    } catch (error) {
      if (done()) break;
      const lost = asLost(error, client.server);
      if (!lost.retryable) throw lost;
      const wait = Math.min(LONGEST_RECONNECT_MS, FIRST_RECONNECT_MS * 2 ** failures);
      failures++;
      options.onReconnect?.(lost, wait, after);
      await sleep(wait);
    } finally {
      options.signal?.removeEventListener('abort', stop);
      connection.abort();
    }
  }
  return { events, after };
}

/** Reads the stream's server-sent events in order; `handle` returns false to stop reading. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  handle: (message: EventSourceMessage) => boolean,
): Promise<void> {
  // TextDecoderStream's writable side is typed for any BufferSource; a response body is bytes.
  const text = body.pipeThrough(
    new TextDecoderStream() as unknown as { readable: ReadableStream<string>; writable: WritableStream<Uint8Array> },
  );
  const reader = text.pipeThrough(new EventSourceParserStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || !handle(value)) return;
    }
  } finally {
    // Ends the request when reading stops early (a limit, a bad event); a no-op once it ended.
    await reader.cancel().catch(() => {});
  }
}

/** The stream's first message: `{after}`, the seq it follows from. */
const readySchema = z.object({ after: z.number().int().min(-1) });

function readyOf(data: string): number {
  return parseAnswer(readySchema, jsonOf(data), 'GET /v1/events (ready)').after;
}

function jsonOf(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * A connection's failure as an IsotypError: the control plane's own (retryable or not), or —
 * for a stream cut while reading — ISOTYP_UNAVAILABLE, which is retried.
 */
function asLost(error: unknown, server: string): IsotypError {
  if (isIsotypError(error)) return error;
  return new IsotypError('ISOTYP_UNAVAILABLE', `The event stream from ${server} was cut.`, {
    hint: 'Check the control plane and the network between you.',
    details: { server },
    cause: error,
  });
}
