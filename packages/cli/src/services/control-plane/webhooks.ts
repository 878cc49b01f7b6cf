import { type Webhook, type WebhookDelivery, webhookDeliverySchema, webhookSchema } from '@isotyp/protocol';
import { z } from 'zod';
import type { ControlPlaneClient } from './client.js';

export type { Webhook };
export type Delivery = WebhookDelivery;

const createdWebhookSchema = webhookSchema.extend({ secret: z.string().min(1) });
export type CreatedWebhook = z.infer<typeof createdWebhookSchema>;

/**
 * Registers a webhook. The answer is the only time its signing secret is seen.
 *
 * @example
 * const { secret } = await createWebhook(client, { url: 'https://hooks.example.com/isotyp', events: ['change.*'] });
 */
export function createWebhook(
  client: ControlPlaneClient,
  input: { url: string; events: string[]; description?: string | undefined },
): Promise<CreatedWebhook> {
  return client.post(
    '/v1/webhooks',
    {
      url: input.url,
      events: input.events,
      ...(input.description === undefined ? {} : { description: input.description }),
    },
    createdWebhookSchema,
  );
}

export async function listWebhooks(client: ControlPlaneClient): Promise<Webhook[]> {
  return (await client.get('/v1/webhooks', z.object({ webhooks: z.array(webhookSchema) }))).webhooks;
}

export async function deleteWebhook(client: ControlPlaneClient, id: string): Promise<{ id: string; deleted: true }> {
  await client.delete(`/v1/webhooks/${encodeURIComponent(id)}`);
  return { id, deleted: true };
}

export async function listDeliveries(
  client: ControlPlaneClient,
  filter: { webhookId?: string | undefined; status?: Delivery['status'] | undefined; limit?: number | undefined },
): Promise<Delivery[]> {
  const query = new URLSearchParams();
  if (filter.webhookId !== undefined) query.set('webhookId', filter.webhookId);
  if (filter.status !== undefined) query.set('status', filter.status);
  if (filter.limit !== undefined) query.set('limit', String(filter.limit));
  const path = `/v1/webhooks/deliveries${query.size > 0 ? `?${query}` : ''}`;
  return (await client.get(path, z.object({ deliveries: z.array(webhookDeliverySchema) }))).deliveries;
}

/** Puts dead letters back in the queue (all of them, one webhook's, or the given ids). */
export async function replayDeadLetters(
  client: ControlPlaneClient,
  filter: { webhookId?: string | undefined; ids?: string[] | undefined },
): Promise<{ replayed: string[] }> {
  return client.post(
    '/v1/webhooks/dead-letters/replay',
    {
      ...(filter.webhookId === undefined ? {} : { webhookId: filter.webhookId }),
      ...(filter.ids === undefined || filter.ids.length === 0 ? {} : { ids: filter.ids }),
    },
    z.object({ replayed: z.array(z.string()) }),
  );
}
