import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { bytesEqual, fromHex, toHex } from '../encoding.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { idSchema, timestampSchema } from './common.js';

/**
 * A domain event: one entry of the control plane's audit log, as its SSE stream and webhooks
 * announce it. It names what happened to which object, by whom and when — never the object's
 * content (fetch that through the API, with your own permissions). `seq` orders events, has no
 * gaps within the whole log, and is what a consumer resumes from (`Last-Event-ID`) and
 * de-duplicates by.
 */
export const domainEventSchema = z.strictObject({
  /** `evt_<seq>`: stable across deliveries and replays of the same event. */
  id: z.string().regex(/^evt_\d+$/),
  seq: z.number().int().min(0),
  /** The audit action, e.g. `change.submit`, `change.approve`, `agent.enrol`. */
  type: z.string().min(1).max(128),
  time: timestampSchema,
  org: idSchema,
  /** `user:<id>`, `ci:<token id>`, `agent:<id>` or `system`. */
  actor: z.string().min(1).max(256),
  entity: z.strictObject({ kind: z.string().min(1).max(64), id: z.string().min(1).max(256) }),
});
export type DomainEvent = z.infer<typeof domainEventSchema>;

/** A webhook as the API lists it (never its secret). */
export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** One event owed to one webhook, as the API lists it: pending, delivered, or dead (a dead letter). */
export const webhookDeliverySchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventSeq: z.number(),
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number(),
  nextAttemptAt: z.string().optional(),
  lastError: z.string().optional(),
  deliveredAt: z.string().optional(),
  deadAt: z.string().optional(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/**
 * Whether `type` is one of `patterns`: an exact name, a prefix ending in `*` (`change.*`), or `*`.
 *
 * @example
 * eventMatches(['change.*'], 'change.approve') // true
 */
export function eventMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type));
}

/** Header names of a webhook delivery (lower case, as fetch and Node present them). */
export const WEBHOOK_HEADERS = {
  /** `<webhook id>:<seq>`: the same on every retry and replay of one event to one webhook. */
  delivery: 'isotyp-webhook-id',
  /** Seconds since the epoch when this attempt was signed. */
  timestamp: 'isotyp-webhook-timestamp',
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the webhook's secret>`. */
  signature: 'isotyp-webhook-signature',
} as const;

const utf8 = new TextEncoder();

/** The signature header's value for `body` sent at `timestamp` (seconds) under `secret`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${toHex(hmac(sha256, utf8.encode(secret), utf8.encode(`${timestamp}.${body}`)))}`;
}

export interface VerifyWebhookOptions {
  /** Largest accepted age (and clock skew) of the timestamp, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Seconds since the epoch (injectable for tests). */
  now?: number;
}

/**
 * Checks a webhook delivery as a consumer must before trusting it: the signature over the raw
 * body and timestamp (constant-time), and the timestamp's age (a replayed capture fails). Returns
 * the event; throws ISOTYP_SIGNATURE_INVALID otherwise. De-duplicate on `event.id` afterwards:
 * a delivery may arrive more than once (retries, replays).
 *
 * @example
 * const event = verifyWebhook(secret, request.headers, rawBody);
 * if (await seen.has(event.id)) return 200; // already handled
 */
export function verifyWebhook(
  secret: string,
  headers: { get(name: string): string | null } | Record<string, string | string[] | undefined>,
  body: string,
  options: VerifyWebhookOptions = {},
): DomainEvent {
  const header = (name: string): string | undefined => {
    if (typeof (headers as { get?: unknown }).get === 'function') {
      return (headers as { get(name: string): string | null }).get(name) ?? undefined;
    }
    const value = (headers as Record<string, string | string[] | undefined>)[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const refuse = (why: string) =>
    new IsotypError('ISOTYP_SIGNATURE_INVALID', `Webhook delivery refused: ${why}.`, {
      hint: "Check the webhook's secret (shown once by isotyp webhooks create) and this host's clock.",
    });
  const timestamp = Number(header(WEBHOOK_HEADERS.timestamp));
  const signature = header(WEBHOOK_HEADERS.signature) ?? '';
  if (!Number.isSafeInteger(timestamp)) throw refuse('no timestamp');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) throw refuse('the timestamp is too old or ahead');
  const expected = fromHex(signWebhook(secret, timestamp, body).slice(3));
  const offered = signature
    .split(/\s*,\s*|\s+/)
    .filter((part) => /^v1=[0-9a-f]{64}$/.test(part))
    .map((part) => fromHex(part.slice(3)));
  if (!offered.some((candidate) => bytesEqual(candidate, expected))) throw refuse('the signature does not match');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw refuse('the body is not JSON');
  }
  const event = domainEventSchema.safeParse(parsed);
  if (!event.success) throw refuse('the body is not an Isotyp event');
  return event.data;
}
