import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';
import { acceptsGzip, COMPRESS_FROM_BYTES } from './kept-answer.js';

describe('acceptsGzip', () => {
  it.each([
    ['gzip, deflate', true],
    ['deflate, gzip;q=0.5', true],
    ['GZIP', true],
    ['*', true],
    ['br, *;q=0.1', true],
    ['x-gzip', true],
    ['br;q=1, gzip;q=0', false],
    ['*, gzip;q=0', false],
    ['identity', false],
    ['deflate, br', false],
    ['*;q=0', false],
    ['', false],
  ])('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });

  it('says no when the client sends no Accept-Encoding', () => {
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

/** A GET as a client that does not decompress would make it: the bytes and headers on the wire. */
function rawGet(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('answers kept as bytes, over a real socket', () => {
  let cp: LiveControlPlane;
  let admin: string;

  beforeAll(async () => {
    cp = await liveControlPlane();
    admin = await cp.login('admin@acme.test');
    const first = await cp.target(admin);
    for (let i = 0; i < 8; i++) {
      await cp.ok('POST', '/v1/targets', {
        token: admin,
        body: { environmentId: first.environmentId, name: `replica-${i}-db`, dialect: 'sqlite' },
      });
    }
  }, 60_000);

  afterAll(async () => {
    await cp?.close();
  });

  it('gzips a large kept answer for a client that accepts gzip, and sends the same JSON', async () => {
    const auth = { authorization: `Bearer ${admin}` };
    const plain = await rawGet(cp.url, '/v1/targets', auth);
    expect(plain.status).toBe(200);
    expect(plain.body.byteLength).toBeGreaterThanOrEqual(COMPRESS_FROM_BYTES);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    const listed = JSON.parse(plain.body.toString('utf8'));
    expect(listed.targets).toHaveLength(9);

    // Twice: the second answer is the kept compressed form.
    for (let i = 0; i < 2; i++) {
      const packed = await rawGet(cp.url, '/v1/targets', { ...auth, 'accept-encoding': 'gzip, deflate' });
      expect(packed.status).toBe(200);
      expect(packed.headers['content-encoding']).toBe('gzip');
      expect(packed.headers.vary).toBe('Accept-Encoding');
      expect(Number(packed.headers['content-length'])).toBe(packed.body.byteLength);
      expect(packed.body.byteLength).toBeLessThan(plain.body.byteLength);
      expect(JSON.parse(gunzipSync(packed.body).toString('utf8'))).toEqual(listed);
    }

    const refused = await rawGet(cp.url, '/v1/targets', { ...auth, 'accept-encoding': 'br, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(refused.body.toString('utf8'))).toEqual(listed);
  });

  it('sends a small answer as it is, gzip accepted or not', async () => {
    const project = await cp.ok('POST', '/v1/projects', { token: admin, body: { name: 'tiny' } });
    const env = await cp.ok('POST', `/v1/projects/${project.id}/environments`, {
      token: admin,
      body: { name: 'dev', privacyMode: 'digest' },
    });
    await cp.ok('POST', '/v1/targets', {
      token: admin,
      body: { environmentId: env.id, name: 'one-db', dialect: 'sqlite' },
    });
    const small = await rawGet(cp.url, `/v1/targets?environmentId=${env.id}`, {
      authorization: `Bearer ${admin}`,
      'accept-encoding': 'gzip',
    });
    expect(small.status).toBe(200);
    expect(small.body.byteLength).toBeLessThan(COMPRESS_FROM_BYTES);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8')).targets).toHaveLength(1);
  });
});
