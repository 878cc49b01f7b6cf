import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../storage/store.js';
import { hygieneApp, tempStore } from './test-support/hygiene-app.js';

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestId', () => {
  it('echoes a well-formed id from the caller', async () => {
    const { app } = hygieneApp({ store });
    const res = await app.request('/healthz', { headers: { 'x-request-id': 'ci-run.42_a' } });
    expect(res.headers.get('x-request-id')).toBe('ci-run.42_a');
  });

  it.each([
    ['too long', 'a'.repeat(65)],
    ['with spaces', 'a b'],
    ['with a header-splitting attempt', 'abc%0d%0aSet-Cookie:x'],
    ['with a log-forging quote', 'x","level":60'],
  ])('replaces an id %s with a fresh UUID', async (_name, offered) => {
    const { app } = hygieneApp({ store });
    const res = await app.request('/healthz', { headers: { 'x-request-id': offered } });
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('puts the same id in error bodies, the header and the log lines', async () => {
    const { app, logs } = hygieneApp({ store });
    const res = await app.request('/v1/echo', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'req-1' },
      body: '{}',
    });
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(((await res.json()) as { error: { requestId: string } }).error.requestId).toBe('req-1');
    expect(logs.at(-1)).toMatchObject({ requestId: 'req-1', msg: 'request' });
  });

  it('generates an id when none is sent, and on a 404', async () => {
    const { app } = hygieneApp({ store });
    const res = await app.request('/nowhere');
    expect(res.status).toBe(404);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(((await res.json()) as { error: { requestId: string } }).error.requestId).toBe(id);
  });
});
