import { randomBytes } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  IsotypError,
  webhookDeliverySchema as webhookDeliveryShape,
  webhookSchema as webhookShape,
} from '@isotyp/protocol';
import { createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { ControlPlaneConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { objectId } from '../identity/schemas.js';
import { newId } from '../ids.js';
import { SecretSeal, webhookContext } from '../storage/sealed-secrets.js';
import type { Store, WebhookDeadLetterRecord, WebhookDeliveryRecord, WebhookRecord } from '../storage/store.js';
import { actorOf, allow, authErrors, found, jsonBody, jsonResponse } from './route-kit.js';

const security = [{ bearerAuth: [] }];

const eventPattern = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9-]*(\.[a-z0-9-]+)*(\.\*)?)$/, 'an event type (change.approve), a prefix (change.*) or *');

// The shapes the CLI reads too, from protocol, as OpenAPI components.
const webhookSchema = z.object(webhookShape.shape).openapi('Webhook');
const deliverySchema = z.object(webhookDeliveryShape.shape).openapi('WebhookDelivery');

const createWebhook = createRoute({
  method: 'post',
  path: '/v1/webhooks',
  tags: ['webhooks'],
  summary: 'Register a webhook: events POSTed to a URL, signed with HMAC-SHA256 (the secret is shown once)',
  security,
  request: {
    body: jsonBody(
      z.strictObject({
        url: z.string().max(2000),
        events: z.array(eventPattern).min(1).max(50),
        description: z.string().trim().min(1).max(200).optional(),
      }),
    ),
  },
  responses: {
    201: jsonResponse(
      webhookSchema
        .extend({ secret: z.string().openapi({ description: 'The only time the signing secret is shown.' }) })
        .openapi('CreatedWebhook'),
      'The webhook, with its secret.',
    ),
    ...authErrors,
  },
});

const listWebhooks = createRoute({
  method: 'get',
  path: '/v1/webhooks',
  tags: ['webhooks'],
  summary: "List the organisation's webhooks (never their secrets)",
  security,
  responses: { 200: jsonResponse(z.object({ webhooks: z.array(webhookSchema) }), 'The webhooks.'), ...authErrors },
});

const deleteWebhook = createRoute({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  tags: ['webhooks'],
  summary: 'Delete a webhook with its pending deliveries and dead letters',
  security,
  request: { params: z.object({ id: objectId }) },
  responses: { 204: { description: 'Deleted.' }, ...authErrors },
});

const listDeliveries = createRoute({
  method: 'get',
  path: '/v1/webhooks/deliveries',
  tags: ['webhooks'],
  summary: 'Deliveries pending or made, and dead letters (failed every try)',
  security,
  request: {
    query: z.object({
      webhookId: objectId.optional(),
      status: z.enum(['pending', 'delivered', 'dead']).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ deliveries: z.array(deliverySchema) }), 'The deliveries, oldest event first.'),
    ...authErrors,
  },
});

const replay = createRoute({
  method: 'post',
  path: '/v1/webhooks/dead-letters/replay',
  tags: ['webhooks'],
  summary: 'Put dead letters back in the queue, due now with a fresh count of tries',
  security,
  request: {
    body: jsonBody(
      z.strictObject({
        webhookId: objectId.optional(),
        ids: z.array(z.string().max(300)).min(1).max(1000).optional(),
      }),
    ),
  },
  responses: {
    200: jsonResponse(z.object({ replayed: z.array(z.string()) }), 'The deliveries put back.'),
    ...authErrors,
  },
});

/** Webhooks: register, list, delete, see deliveries, replay dead letters (org:admin). */
export function webhookRoutes(deps: {
  store: Store;
  config: ControlPlaneConfig;
  now?: () => Date;
}): OpenAPIHono<AppEnv> {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const seal = SecretSeal.of(config.caPassphrase);
  const router = createRouter();

  router.openapi(createWebhook, async (c) => {
    const principal = allow(c, 'org:admin');
    const body = c.req.valid('json');
    const url = checkUrl(body.url, config.webhooks.allowHttp);
    const at = now().toISOString();
    const id = newId('whk');
    // Shown once, in this answer; the store keeps it sealed under the server passphrase.
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const webhook: WebhookRecord = {
      id,
      orgId: principal.orgId,
      url,
      secret: seal.seal(secret, webhookContext(id)),
      events: body.events,
      ...(body.description === undefined ? {} : { description: body.description }),
      createdBy: actorOf(principal),
      createdAt: at,
    };
    await store.webhooks.create(webhook);
    await appendAudit(
      store,
      {
        orgId: principal.orgId,
        actor: actorOf(principal),
        action: 'webhook.create',
        entity: { kind: 'webhook', id: webhook.id },
        details: { host: new URL(url).host, events: body.events },
      },
      now(),
    );
    return c.json({ ...webhookView(webhook), secret }, 201);
  });

  router.openapi(listWebhooks, async (c) => {
    const principal = allow(c, 'org:admin');
    return c.json({ webhooks: (await store.webhooks.list(principal.orgId)).map(webhookView) }, 200);
  });

  router.openapi(deleteWebhook, async (c) => {
    const principal = allow(c, 'org:admin');
    const { id } = c.req.valid('param');
    if (!(await store.webhooks.delete(principal.orgId, id))) found(undefined, 'webhook', id);
    await appendAudit(
      store,
      { orgId: principal.orgId, actor: actorOf(principal), action: 'webhook.delete', entity: { kind: 'webhook', id } },
      now(),
    );
    return c.body(null, 204);
  });

  router.openapi(listDeliveries, async (c) => {
    const principal = allow(c, 'org:admin');
    const { webhookId, status, limit } = c.req.valid('query');
    const filter = { ...(webhookId === undefined ? {} : { webhookId }), limit };
    const live =
      status === 'dead'
        ? []
        : await store.webhooks.deliveries(principal.orgId, { ...filter, ...(status === undefined ? {} : { status }) });
    const dead =
      status === undefined || status === 'dead' ? await store.webhooks.deadLetters(principal.orgId, filter) : [];
    const deliveries = [...live.map(deliveryView), ...dead.map(deadLetterView)]
      .sort((a, b) => a.eventSeq - b.eventSeq)
      .slice(0, limit);
    return c.json({ deliveries }, 200);
  });

  router.openapi(replay, async (c) => {
    const principal = allow(c, 'org:admin');
    const body = c.req.valid('json');
    if (body.webhookId !== undefined)
      found(await store.webhooks.get(principal.orgId, body.webhookId), 'webhook', body.webhookId);
    const replayed = await store.webhooks.replay(
      principal.orgId,
      {
        ...(body.webhookId === undefined ? {} : { webhookId: body.webhookId }),
        ...(body.ids === undefined ? {} : { ids: body.ids }),
      },
      now().toISOString(),
    );
    if (replayed.length > 0) {
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'webhook.replay',
          entity: { kind: 'webhook', id: body.webhookId ?? '*' },
          details: { count: replayed.length },
        },
        now(),
      );
    }
    return c.json({ replayed }, 200);
  });

  return router;
}

/**
 * The URL a webhook may post to: https (http only when the operator allowed it), no user or
 * password in it (it would be stored and shown), no fragment.
 */
function checkUrl(text: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidUrl('it is not a URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw invalidUrl(allowHttp ? 'use http:// or https://' : 'use https:// (http:// is refused on this server)');
  }
  if (url.username !== '' || url.password !== '') throw invalidUrl('credentials in the URL are refused');
  if (url.hash !== '') throw invalidUrl('a #fragment means nothing to a receiver');
  return url.toString();
}

function invalidUrl(why: string): IsotypError {
  return new IsotypError('ISOTYP_INVALID_INPUT', `The webhook URL is refused: ${why}.`, {
    hint: 'Give the https:// URL of your receiver; it authenticates deliveries by their signature, not the URL.',
    details: { field: 'url' },
  });
}

function webhookView(webhook: WebhookRecord) {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    ...(webhook.description === undefined ? {} : { description: webhook.description }),
    createdBy: webhook.createdBy,
    createdAt: webhook.createdAt,
  };
}

function deliveryView(delivery: WebhookDeliveryRecord) {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId,
    eventSeq: delivery.eventSeq,
    status: delivery.status,
    attempts: delivery.attempts,
    ...(delivery.status === 'pending' ? { nextAttemptAt: delivery.nextAttemptAt } : {}),
    ...(delivery.lastError === undefined ? {} : { lastError: delivery.lastError }),
    ...(delivery.deliveredAt === undefined ? {} : { deliveredAt: delivery.deliveredAt }),
  };
}

function deadLetterView(letter: WebhookDeadLetterRecord) {
  return {
    id: letter.id,
    webhookId: letter.webhookId,
    eventSeq: letter.eventSeq,
    status: 'dead' as const,
    attempts: letter.attempts,
    ...(letter.lastError === undefined ? {} : { lastError: letter.lastError }),
    deadAt: letter.deadAt,
  };
}
