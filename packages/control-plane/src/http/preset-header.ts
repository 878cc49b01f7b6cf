import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/**
 * Sets a header of the answer from middleware, before the answer exists. Served by Node's HTTP
 * server, it goes on the Node response, which merges it with the answer's own headers when
 * they are written (the answer's win); Hono's `c.header()` would instead build a WHATWG
 * `Headers` for the request, and copy it into the Node response later — on a busy replica that
 * costs more than the rest of the middleware setting it. Without a Node response (`app.request()`
 * in tests, other adapters) it is `c.header()`.
 *
 * Only for headers every answer carries whatever the route does (request id, rate limits): a
 * route's own headers belong on its answer.
 *
 * @example
 * presetHeader(c, 'X-Request-Id', id);
 */
export function presetHeader(c: Context, name: string, value: string): void {
  const outgoing = nodeResponse(c);
  if (outgoing !== undefined && !outgoing.headersSent) outgoing.setHeader(name, value);
  else c.header(name, value);
}

function nodeResponse(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return typeof outgoing === 'object' && outgoing !== null && 'setHeader' in outgoing
    ? (outgoing as ServerResponse)
    : undefined;
}

/**
 * What a request made inside the process on behalf of `c` (the console calling the API) may see
 * of `c`'s bindings: the connection it came in on (client address, TLS peer), not the Node
 * response — the inner answer is read by the caller, not written to the socket, and headers
 * preset on the outer response by the inner request would end up on the outer answer.
 */
export function innerBindings(c: Context): { incoming?: unknown } {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming === undefined ? {} : { incoming };
}
