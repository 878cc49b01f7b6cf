import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBareApp } from '../app.js';
import { createLogger } from '../logger.js';
import type { Store } from '../storage/store.js';
import { jsonBody } from './json-body.js';
import { requestId } from './request-id.js';
import { type ErrorAnswer, hygieneApp, tempStore } from './test-support/hygiene-app.js';

type Answer = Partial<ErrorAnswer> & { validated?: unknown; same?: boolean };

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

const json = { 'content-type': 'application/json' };

async function post(path: string, body: BodyInit | undefined, headers: Record<string, string> = json, limit?: number) {
  const { app } = hygieneApp({ store, config: limit ? { bodyLimitBytes: limit } : {} });
  const res = await app.request(path, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Answer };
}

describe('jsonBody', () => {
  it('hands the strict parse to the zod-openapi validator', async () => {
    const res = await post('/v1/echo', '{ "name": "app" }');
    expect(res).toEqual({ status: 200, body: { validated: { name: 'app' }, same: true } });
  });

  it('accepts charset=utf-8 and refuses other charsets', async () => {
    expect((await post('/v1/echo', '{}', { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(200);
    const latin = await post('/v1/echo', '{}', { 'content-type': 'application/json; charset=latin1' });
    expect(latin.status).toBe(415);
  });

  it('refuses a JSON document sent as text/plain instead of validating {}', async () => {
    const res = await post('/v1/echo', '{"name":"app"}', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'ISOTYP_UNSUPPORTED_MEDIA_TYPE', retryable: false });
    expect(res.body.error?.requestId).toEqual(expect.any(String));
  });

  it('refuses a body without any Content-Type', async () => {
    const res = await post('/v1/echo', new TextEncoder().encode('{"name":"app"}'), {});
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe('ISOTYP_UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a JSON Content-Type with an empty body', async () => {
    const res = await post('/v1/echo', '');
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('ISOTYP_MALFORMED_JSON');
  });

  it('requireJsonBody refuses a bodyless POST that an all-optional schema would take as {}', async () => {
    const res = await post('/v1/optional', undefined, {});
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'ISOTYP_INVALID_INPUT',
      message: 'This endpoint expects a JSON request body.',
    });
    expect(await post('/v1/optional', '{}')).toEqual({ status: 200, body: { validated: {} } });
  });

  it.each([
    ['truncated JSON', '{"name":"ap', 'ISOTYP_MALFORMED_JSON'],
    [
      'invalid UTF-8',
      new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      'ISOTYP_MALFORMED_JSON',
    ],
    ['1000-deep nesting', `{"nested":${'['.repeat(1000)}${']'.repeat(1000)}}`, 'ISOTYP_INVALID_INPUT'],
    ['a __proto__ key', '{"nested":{"__proto__":{"polluted":true}}}', 'ISOTYP_INVALID_INPUT'],
    ['a constructor key', '{"nested":[{"constructor":{"prototype":{"polluted":true}}}]}', 'ISOTYP_INVALID_INPUT'],
  ])('answers %s with 400 and a JSON error', async (_name, body, code) => {
    const res = await post('/v1/echo', body as BodyInit);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body over the limit, declared or not', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(5000) });
    const counted = await post('/v1/echo', big, json, 1024);
    expect(counted.status).toBe(413);
    expect(counted.body.error?.code).toBe('ISOTYP_PAYLOAD_TOO_LARGE');
    const declared = await post('/v1/echo', '{}', { ...json, 'content-length': '999999' }, 1024);
    expect(declared.status).toBe(413);
  });

  it('leaves GET requests alone', async () => {
    const { app } = hygieneApp({ store });
    const res = await app.request('/v1/items/itm_1', { headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
  });

  it('is harmless when mounted twice', async () => {
    const logger = createLogger({ level: 'silent' });
    const app = createBareApp(logger);
    app.use(requestId({ logger }), jsonBody({ limitBytes: 1024 }), jsonBody({ limitBytes: 1024 }));
    app.post('/twice', async (c) => c.json(await c.req.json()));
    const res = await app.request('/twice', { method: 'POST', headers: json, body: '{"a":1}' });
    expect([res.status, await res.json()]).toEqual([200, { a: 1 }]);
  });
});
