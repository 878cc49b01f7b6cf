import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../storage/store.js';
import { hygieneApp, tempStore } from './test-support/hygiene-app.js';

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

describe('accessLog', () => {
  it('writes one line with method, route pattern, status, duration, request id and principal', async () => {
    const { app, logs } = hygieneApp({ store });
    await app.request('/v1/items/itm_42?token=s3cret', { headers: { 'x-test-user': 'usr_1', 'x-request-id': 'r-7' } });
    const lines = logs.filter((line) => line.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      method: 'GET',
      route: '/v1/items/:id',
      status: 200,
      requestId: 'r-7',
      principal: 'user:usr_1',
    });
    expect(lines[0]?.ms).toEqual(expect.any(Number));
  });

  it('never logs the query string, the path ids or the body', async () => {
    const { app, logs } = hygieneApp({ store });
    await app.request('/v1/items/itm_42?token=s3cret');
    await app.request('/v1/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer abc.def' },
      body: JSON.stringify({ name: 'password-like-value' }),
    });
    const text = JSON.stringify(logs);
    for (const leak of ['s3cret', 'itm_42', 'password-like-value', 'abc.def']) expect(text).not.toContain(leak);
    expect(logs.filter((line) => line.msg === 'request')).toHaveLength(2);
  });

  it('logs refused requests with their status and no principal when anonymous', async () => {
    const { app, logs } = hygieneApp({ store });
    await app.request('/v1/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(logs.at(-1)).toMatchObject({ method: 'POST', route: '/v1/echo', status: 415 });
    expect(logs.at(-1)).not.toHaveProperty('principal');
  });
});
