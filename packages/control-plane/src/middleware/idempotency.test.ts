import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../storage/store.js';
import { type ErrorAnswer, hygieneApp, tempStore } from './test-support/hygiene-app.js';

type Answer = Partial<ErrorAnswer> & { run?: number; name?: string | null };

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

let keys = 0;
const freshKey = () => `key-${Date.now()}-${++keys}`;

function client() {
  const harness = hygieneApp({ store });
  const post = async (body: unknown, key: string | undefined, user = 'alice') => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-test-user': user };
    if (key !== undefined) headers['idempotency-key'] = key;
    const res = await harness.app.request('/v1/things', {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as Answer };
  };
  return { ...harness, post };
}

describe('idempotency', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['with a space', 'a b'],
    ['longer than 128', 'k'.repeat(129)],
  ])('refuses a POST whose Idempotency-Key is %s', async (_name, key) => {
    const { post, runs } = client();
    const res = await post({ name: 'a' }, key);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('ISOTYP_INVALID_INPUT');
    expect(res.body.error?.hint).toContain('Idempotency-Key');
    expect(runs()).toBe(0);
  });

  it('replays the stored answer to a retry of the same request, whitespace and key order aside', async () => {
    const { post, runs } = client();
    const key = freshKey();
    const first = await post('{"name":"a","nested":{"x":1,"y":2}}', key);
    expect(first).toMatchObject({ status: 201, replayed: null, body: { run: 1, name: 'a' } });
    const retry = await post('{ "nested": { "y": 2, "x": 1 }, "name": "a" }', key);
    expect(retry).toEqual({ status: 201, replayed: 'true', body: first.body });
    expect(runs()).toBe(1);
  });

  it('refuses the same key with another body: 422', async () => {
    const { post, runs } = client();
    const key = freshKey();
    await post({ name: 'a' }, key);
    const other = await post({ name: 'b' }, key);
    expect(other.status).toBe(422);
    expect(other.body.error?.code).toBe('ISOTYP_IDEMPOTENCY_MISMATCH');
    expect(runs()).toBe(1);
  });

  it('keeps keys per principal', async () => {
    const { post, runs } = client();
    const key = freshKey();
    await post({ name: 'a' }, key, 'alice');
    const bob = await post({ name: 'a' }, key, 'bob');
    expect(bob).toMatchObject({ status: 201, replayed: null });
    expect(runs()).toBe(2);
  });

  it('answers 409 to a retry while the first request still runs, then replays its answer', async () => {
    const { post, runs, unpark } = client();
    const key = freshKey();
    const first = post({ name: 'slow', park: true }, key);
    await expect.poll(runs).toBe(1);
    const concurrent = await post({ name: 'slow', park: true }, key);
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.error).toMatchObject({ code: 'ISOTYP_IDEMPOTENCY_IN_PROGRESS' });
    unpark();
    expect((await first).status).toBe(201);
    expect(await post({ name: 'slow', park: true }, key)).toMatchObject({ status: 201, replayed: 'true' });
    expect(runs()).toBe(1);
  });

  it('stores a 4xx answer, which a retry cannot change', async () => {
    const { post, runs } = client();
    const key = freshKey();
    expect((await post({ fail: 'not_found' }, key)).status).toBe(404);
    const retry = await post({ fail: 'not_found' }, key);
    expect(retry).toMatchObject({ status: 404, replayed: 'true', body: { error: { code: 'ISOTYP_NOT_FOUND' } } });
    expect(runs()).toBe(1);
  });

  it("stores a refusal of the request itself (a bad signature's 401), not only 404s", async () => {
    const { post, runs } = client();
    const key = freshKey();
    expect((await post({ fail: 'signature' }, key)).status).toBe(401);
    expect(await post({ fail: 'signature' }, key)).toMatchObject({ status: 401, replayed: 'true' });
    expect(runs()).toBe(1);
  });

  it.each([
    ['a crash (500)', 'crash', 500],
    ['a 429', 'rate', 429],
    // The caller's rights, which a grant may change before the retry.
    ['a 403 ISOTYP_FORBIDDEN', 'forbidden', 403],
  ])('releases the key after %s so the retry runs again', async (_name, fail, status) => {
    const { post, runs } = client();
    const key = freshKey();
    expect((await post({ fail }, key)).status).toBe(status);
    const retry = await post({ fail }, key);
    expect(retry).toMatchObject({ status, replayed: null });
    expect(runs()).toBe(2);
    // Released means forgotten: the key no longer binds a body.
    expect(await post({ name: 'fixed' }, key)).toMatchObject({ status: 201, replayed: null });
  });
});
