import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type ErrorCode, errorCodes } from '@isotyp/protocol';

/**
 * A loopback HTTP server for what the real control plane cannot be made to do on purpose — hang,
 * drop a connection, answer 503 with Retry-After, put a proxy's HTML page in the way, answer a
 * device-flow poll with `slow_down` — and, with {@link forwardTo}, a recording tap in front of
 * the real control plane so a test can see the requests the client sent. Every request is
 * recorded.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  params: Record<string, string>;
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (e.g. a proxy's HTML error page). */
  text?: string;
  headers?: Record<string, string>;
  /** Drop the connection without answering (a network error for the client). */
  destroy?: boolean;
  /** Answer after this long (to trigger the client's timeout). */
  delayMs?: number;
}

export type Handler = (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** An Isotyp error answer, as the control plane writes it. */
export function isotypError(
  code: ErrorCode,
  message: string,
  extra: { hint?: string; details?: object } = {},
): ScriptedResponse {
  return {
    status: errorCodes[code].http,
    body: {
      error: {
        code,
        message,
        ...(extra.hint === undefined ? {} : { hint: extra.hint }),
        retryable: errorCodes[code].retryable,
        requestId: `req_${randomBytes(4).toString('hex')}`,
        ...(extra.details === undefined ? {} : { details: extra.details }),
      },
    },
  };
}

/**
 * Passes every request on to `target` unchanged and its answer back: a tap that lets a test
 * read what the client sent to the real control plane.
 *
 * @example
 * const tap = await startScriptedServer({}, forwardTo(cp.url));
 */
export function forwardTo(target: string): Handler {
  return async (request) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length'].includes(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = request.query.size === 0 ? '' : `?${request.query}`;
    const response = await fetch(`${target}${request.path}${query}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const passed: Record<string, string> = {};
    for (const name of ['content-type', 'retry-after']) {
      const value = response.headers.get(name);
      if (value !== null) passed[name] = value;
    }
    return { status: response.status, text: await response.text(), headers: passed };
  };
}

/**
 * Starts the server. Routes are `'METHOD /path/{param}'` → handler; anything else goes to
 * `fallback`, or is 404 ISOTYP_NOT_FOUND.
 *
 * @example
 * const server = await startScriptedServer({ 'GET /v1/projects': () => ({ status: 503, delayMs: 2000 }) });
 */
export async function startScriptedServer(
  routes: Record<string, Handler>,
  fallback?: Handler,
): Promise<ScriptedServer> {
  const table = Object.entries(routes).map(([key, handler]) => {
    const [method, pattern = ''] = key.split(' ');
    const names: string[] = [];
    const regex = new RegExp(
      `^${pattern.replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    return { method, regex, names, handler };
  });
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://scripted');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      params: {},
    };
    requests.push(request);
    let handler = fallback;
    for (const route of table) {
      const match = route.method === request.method ? route.regex.exec(request.path) : null;
      if (match === null) continue;
      route.names.forEach((name, i) => {
        request.params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      handler = route.handler;
      break;
    }
    const answer =
      handler === undefined
        ? isotypError('ISOTYP_NOT_FOUND', `No route ${request.method} ${request.path}.`)
        : await handler(request);
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (answer.destroy) {
      req.socket.destroy();
      return;
    }
    const payload = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, {
      'content-type': answer.text === undefined ? 'application/json' : 'text/html',
      ...answer.headers,
    });
    res.end(payload);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
