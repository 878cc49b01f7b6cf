import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import { streamSSE } from 'hono/streaming';
import { createRouter } from '../app.js';
import type { AppEnv } from '../context.js';
import type { EventHub } from '../events/event-hub.js';
import { allow, authErrors } from './route-kit.js';

/** A comment line this often keeps proxies (nginx's proxy_read_timeout) from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

const eventStream = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['events'],
  summary: "Follow the organisation's events as a server-sent event stream",
  description:
    'Every audit entry of your organisation as it commits, on whichever replica you reach: `id` is its seq, `event` its type, `data` the event (names and ids, never content). Reconnect with `Last-Event-ID` (or `?after=`) to resume without a gap.',
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      after: z.coerce
        .number()
        .int()
        .min(-1)
        .optional()
        .openapi({ description: 'Resume after this seq (-1: from the first event). Default: from now on.' }),
      types: z
        .string()
        .max(1000)
        .optional()
        .openapi({ description: 'Comma-separated event types or prefixes ending in `*` (`change.*`).' }),
    }),
  },
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'The stream.' },
    ...authErrors,
  },
});

/** GET /v1/events: the organisation's domain events, live (audit:read). */
export function eventRoutes(deps: { hub: EventHub }): OpenAPIHono<AppEnv> {
  const router = createRouter();
  router.openapi(eventStream, async (c) => {
    const principal = allow(c, 'audit:read', undefined, true);
    const query = c.req.valid('query');
    const header = c.req.header('last-event-id');
    // Without a resume point: what happens from now on (the log's history is read on purpose,
    // with ?after=-1, not by every new connection).
    let after = query.after ?? (await deps.hub.store.audit.size()) - 1;
    if (header !== undefined) {
      if (!/^\d{1,15}$/.test(header)) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', 'Last-Event-ID must be the seq of an event.', {
          hint: 'Send back the id of the last event you received, as it came.',
        });
      }
      after = Number(header);
    }
    const types = query.types
      ?.split(',')
      .map((type) => type.trim())
      .filter((type) => type !== '');
    const subscription = deps.hub.subscribe({
      orgId: principal.orgId,
      after,
      ...(types === undefined || types.length === 0 ? {} : { types }),
    });
    // Through nginx: no buffering of the stream.
    c.header('x-accel-buffering', 'no');
    c.header('cache-control', 'no-store');
    return streamSSE(
      c,
      async (stream) => {
        stream.onAbort(() => subscription.close());
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ after: subscription.cursor }) });
        while (!subscription.closed && !stream.aborted) {
          const events = await subscription.next(KEEP_ALIVE_MS);
          if (events.length === 0) {
            if (!subscription.closed) await stream.write(': keep-alive\n\n');
            continue;
          }
          // Each write waits for the socket: a slow client slows only its own loop (and its
          // subscription falls back to reading the log), never the hub.
          for (const event of events) {
            await stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
          }
        }
      },
      async () => {
        subscription.close();
      },
    ) as never;
  });
  return router;
}
