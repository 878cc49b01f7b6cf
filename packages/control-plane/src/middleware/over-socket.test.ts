import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { type RunningServer, startServer } from '../server.js';
import type { Store } from '../storage/store.js';
import { type ErrorAnswer, hygieneApp, tempStore } from './test-support/hygiene-app.js';

/**
 * The whole middleware stack over a real loopback socket, where the Node adapter — not
 * `app.request()` — turns bytes into a Request: Content-Length, chunked transfer and invalid
 * bytes arrive exactly as a hostile client sends them.
 */

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Partial<ErrorAnswer> & Record<string, unknown>;
  /** Bytes the client had written when the answer came. */
  sent: number;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Stream this many chunks of `chunkSize` bytes with Transfer-Encoding: chunked, stopping at the answer. */
  chunks?: number;
  chunkSize?: number;
}

function send(server: RunningServer, path: string, options: SendOptions = {}): Promise<Answer> {
  const { method = 'POST', headers = {}, body, chunks = 0, chunkSize = 64 * 1024 } = options;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    // A fresh connection each time: one the server closed after refusing a body must not be reused.
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const parsed = text === '' ? {} : (JSON.parse(text) as Answer['body']);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, sent });
      });
      res.on('error', reject);
    });
    // The server may close the connection mid-upload once it has answered; that is the point.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (chunks > 0) {
      const chunk = new Uint8Array(chunkSize).fill(0x20);
      let written = 0;
      const pump = () => {
        while (!answered && !req.destroyed && written < chunks) {
          written++;
          sent += chunk.byteLength;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      req.write('{"name":');
      pump();
    } else {
      if (body !== undefined) {
        sent = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
        req.write(body);
      }
      req.end();
    }
  });
}

const json = { 'content-type': 'application/json' };
const LIMIT = 64 * 1024;

let store: Store;
let dispose: () => Promise<void>;
let server: RunningServer;
let harness: ReturnType<typeof hygieneApp>;

beforeAll(async () => {
  ({ store, dispose } = await tempStore());
  harness = hygieneApp({ store, config: { bodyLimitBytes: LIMIT } });
  server = await startServer({
    app: harness.app,
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ level: 'silent' }),
  });
});
afterAll(async () => {
  await server.close();
  await dispose();
});

describe('the middleware stack over a real socket', () => {
  it('accepts a well-formed JSON request', async () => {
    const res = await send(server, '/v1/echo', { headers: json, body: '{"name":"app"}' });
    expect(res).toMatchObject({ status: 200, body: { validated: { name: 'app' }, same: true } });
  });

  it('refuses a declared Content-Length over the limit before the body is sent', async () => {
    const res = await send(server, '/v1/echo', { headers: { ...json, 'content-length': String(50 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('ISOTYP_PAYLOAD_TOO_LARGE');
    expect(res.sent).toBe(0);
  });

  it('cuts off a chunked body without Content-Length at the limit', async () => {
    const res = await send(server, '/v1/echo', { headers: json, chunks: 800, chunkSize: 64 * 1024 });
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('ISOTYP_PAYLOAD_TOO_LARGE');
    // 50 MB were on offer; the answer came long before the client got through them.
    expect(res.sent).toBeLessThan(800 * 64 * 1024);
  });

  it('reads a chunked body within the limit', async () => {
    const res = await send(server, '/v1/echo', {
      headers: { ...json, 'transfer-encoding': 'chunked' },
      body: '{"name":"chunked"}',
    });
    expect(res).toMatchObject({ status: 200, body: { validated: { name: 'chunked' } } });
  });

  it.each([
    ['truncated JSON', '{"name":"tru', 'ISOTYP_MALFORMED_JSON'],
    [
      'invalid UTF-8',
      Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      'ISOTYP_MALFORMED_JSON',
    ],
    ['1000-deep nesting', `{"nested":${'['.repeat(1000)}${']'.repeat(1000)}}`, 'ISOTYP_INVALID_INPUT'],
    ['a __proto__ key', '{"nested":{"__proto__":{"polluted":true}}}', 'ISOTYP_INVALID_INPUT'],
    ['a constructor key', '{"constructor":{"prototype":{"polluted":true}}}', 'ISOTYP_INVALID_INPUT'],
  ])('answers %s with 400 and the JSON error body', async (_name, body, code) => {
    const res = await send(server, '/v1/echo', { headers: json, body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, retryable: false, requestId: expect.any(String) });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses JSON sent as text/plain with 415', async () => {
    const res = await send(server, '/v1/echo', { headers: { 'content-type': 'text/plain' }, body: '{"name":"app"}' });
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe('ISOTYP_UNSUPPORTED_MEDIA_TYPE');
  });

  it('echoes a good request id and replaces a bad one', async () => {
    const good = await send(server, '/healthz', { method: 'GET', headers: { 'x-request-id': 'trace.1-a_b' } });
    expect(good.headers['x-request-id']).toBe('trace.1-a_b');
    const bad = await send(server, '/healthz', { method: 'GET', headers: { 'x-request-id': 'x'.repeat(100) } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('replays an idempotent POST and refuses a mismatched one', async () => {
    const headers = { ...json, 'x-test-user': 'sock', 'idempotency-key': `sock-${Date.now()}` };
    const first = await send(server, '/v1/things', { headers, body: '{"name":"a"}' });
    const again = await send(server, '/v1/things', { headers, body: '{"name":"a"}' });
    const other = await send(server, '/v1/things', { headers, body: '{"name":"b"}' });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, body: first.body });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(other.body.error?.code).toBe('ISOTYP_IDEMPOTENCY_MISMATCH');
  });

  it('exposes the route pattern, not the path, in /metrics', async () => {
    await send(server, '/v1/items/itm_socket', { method: 'GET' });
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(text).toContain('route="/v1/items/:id"');
    expect(text).not.toContain('itm_socket');
  });

  it('answers a client that hangs up mid-body with a 4xx, not a 5xx', async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: server.port,
        path: '/v1/echo?abort=1',
        method: 'POST',
        headers: { ...json, 'content-length': '1000' },
        agent: false,
      });
      req.on('error', () => resolve());
      req.write('{"name":"half', () => setTimeout(() => req.destroy(), 50));
    });
    await expect
      .poll(() =>
        harness.logs.filter((line) => line.msg === 'request' && line.route === '/v1/echo').map((l) => l.status),
      )
      .toContain(400);
  });

  it('has answered nothing with a 5xx', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('isotyp_http_requests_total');
    expect(text).not.toMatch(/status="5\d\d"/);
  });
});

describe('rate limiting over a real socket', () => {
  it('answers 429 with Retry-After once the address is over its limit', async () => {
    const limited = await tempStore();
    const { app } = hygieneApp({
      store: limited.store,
      config: { rateLimit: { perIp: 2, perPrincipal: 10, windowSeconds: 60 } },
    });
    const running = await startServer({ app, host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent' }) });
    try {
      const statuses: number[] = [];
      let last: Answer | undefined;
      for (let i = 0; i < 3; i++) {
        last = await send(running, '/healthz', { method: 'GET' });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
      expect(last?.headers['ratelimit-policy']).toBe('"ip";q=2;w=60');
      expect(last?.headers.ratelimit).toBe(`"ip";r=0;t=${last?.headers['retry-after']}`);
      expect(last?.body.error).toMatchObject({ code: 'ISOTYP_RATE_LIMITED', retryable: true });
    } finally {
      await running.close();
      await limited.dispose();
    }
  });
  it('tells the client the tighter of the two limits, once, on answers written by Node', async () => {
    const limited = await tempStore();
    const { app } = hygieneApp({
      store: limited.store,
      config: { rateLimit: { perIp: 10, perPrincipal: 3, windowSeconds: 60 } },
    });
    const running = await startServer({ app, host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent' }) });
    try {
      const signedIn = await send(running, '/healthz', { method: 'GET', headers: { 'x-test-user': 'tight' } });
      expect(signedIn.status).toBe(200);
      expect(signedIn.headers['ratelimit-policy']).toBe('"principal";q=3;w=60');
      expect(signedIn.headers.ratelimit).toMatch(/^"principal";r=2;t=\d+$/);
      // Node joins a header set twice into one value with ", ": one value means set once.
      expect(signedIn.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const anonymous = await send(running, '/healthz', { method: 'GET' });
      expect(anonymous.headers['ratelimit-policy']).toBe('"ip";q=10;w=60');
      expect(anonymous.headers.ratelimit).toMatch(/^"ip";r=8;t=\d+$/);
    } finally {
      await running.close();
      await limited.dispose();
    }
  });
});

describe('readiness over a real socket', () => {
  it('answers /readyz 503 once the store is closed', async () => {
    const doomed = await tempStore();
    const { app } = hygieneApp({ store: doomed.store });
    const running = await startServer({ app, host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent' }) });
    try {
      expect((await send(running, '/readyz', { method: 'GET' })).status).toBe(200);
      await doomed.store.close();
      const res = await send(running, '/readyz', { method: 'GET' });
      expect(res.status).toBe(503);
      expect(res.body.error?.code).toBe('ISOTYP_UNAVAILABLE');
    } finally {
      await running.close();
      await doomed.dispose();
    }
  });
});
