import { request as httpRequest } from 'node:http';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapOrg } from './identity/bootstrap.js';
import { SecretSeal } from './storage/sealed-secrets.js';
import { approvalOf, submissionBody, type TargetRef } from './test-support/changes.js';
import {
  ADMIN_PASSWORD,
  type Answer,
  CA_PASSPHRASE,
  type LiveControlPlane,
  liveControlPlane,
  type Person,
} from './test-support/live-control-plane.js';

/**
 * OWASP API Security Top 10 (2023) probes against the real server on loopback. Every probe must
 * get a 4xx with a stable code — never a 5xx — and leave the store as it was: no change, no
 * approval, no audit entry.
 */
let cp: LiveControlPlane;
let admin: string;
let author: Person;
let reviewer: Person;
let viewer: string;
let target: TargetRef;
let changeId: string;
let otherOrgToken: string;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  cp = await liveControlPlane();
  admin = await cp.login('admin@acme.test');
  author = await cp.person(admin, 'author@acme.test', ['dba']);
  reviewer = await cp.person(admin, 'reviewer@acme.test', ['approver']);
  await cp.ok('POST', '/v1/users', {
    token: admin,
    body: {
      email: 'viewer@acme.test',
      displayName: 'v',
      password: ADMIN_PASSWORD,
      grants: [{ role: 'viewer', scope: { kind: 'org' } }],
    },
  });
  viewer = await cp.login('viewer@acme.test');
  await cp.initTrust(
    admin,
    [
      { person: author, roles: ['dba'] },
      { person: reviewer, roles: ['approver'] },
    ],
    [{ name: 'review', required: 1, role: 'approver' }],
  );
  target = await cp.target(admin, { privacyMode: 'digest', dialect: 'sqlite', name: 'db' });
  changeId = (
    await cp.ok('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, target, { mode: 'digest' }),
    })
  ).id;
  await bootstrapOrg({
    store: cp.server.store,
    orgId: 'globex',
    orgName: 'Globex',
    adminEmail: 'admin@globex.test',
    adminPassword: ADMIN_PASSWORD,
  });
  otherOrgToken = await cp.login('admin@globex.test', ADMIN_PASSWORD, 'globex');
}, 60_000);

afterAll(async () => {
  await cp?.close();
});

/** Store counts a refused probe must not move. */
async function snapshot() {
  const store = cp.server.store;
  return {
    audit: await store.audit.size(),
    changes: (await store.changes.list('acme', { limit: 1000 })).map((c) => `${c.id}:${c.state}:${c.revision}`),
    approvals: (await store.approvals.forChange('acme', changeId)).length,
    projects: (await store.projects.list('acme')).length,
  };
}

function expectRefused(answer: Answer, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(typeof answer.body.error.requestId).toBe('string');
}

async function forge(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  // Forged with the server's own key, as only someone holding the store and its passphrase could.
  const [key] = await cp.server.store.signingKeys.list();
  const jwk = JSON.parse(SecretSeal.of(CA_PASSPHRASE).open(key?.privateJwk ?? '{}', `signing-key:${key?.kid}`));
  return new SignJWT(claims as never)
    .setProtectedHeader({ alg: 'EdDSA', kid: key?.kid, typ: 'at+jwt', ...header })
    .sign(await importJWK(jwk, 'EdDSA'));
}

describe('broken authentication (API2)', () => {
  it('refuses forged, tampered and out-of-date access tokens with 401 and a stable code', async () => {
    const before = await snapshot();
    const now = Math.floor(Date.now() / 1000);
    const good = {
      sub: author.userId,
      org: 'acme',
      email: author.email,
      iss: 'http://127.0.0.1:7300',
      aud: 'http://127.0.0.1:7300/v1',
      iat: now,
      exp: now + 600,
      jti: 'j1',
    };
    const jwks = (await cp.ok('GET', '/.well-known/jwks.json')).keys[0];
    const hmacKey = new TextEncoder().encode(JSON.stringify(jwks));
    const probes: [string, string, string][] = [
      ['alg none', `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(good)}.`, 'ISOTYP_UNAUTHENTICATED'],
      [
        'HS256 with the public key',
        await new SignJWT(good).setProtectedHeader({ alg: 'HS256', kid: jwks.kid, typ: 'at+jwt' }).sign(hmacKey),
        'ISOTYP_UNAUTHENTICATED',
      ],
      [
        'HS256 with the raw x',
        await new SignJWT(good)
          .setProtectedHeader({ alg: 'HS256', kid: jwks.kid, typ: 'at+jwt' })
          .sign(Buffer.from(jwks.x, 'base64url')),
        'ISOTYP_UNAUTHENTICATED',
      ],
      ['wrong audience', await forge({ ...good, aud: 'https://elsewhere/v1' }), 'ISOTYP_UNAUTHENTICATED'],
      ['wrong issuer', await forge({ ...good, iss: 'https://evil.test' }), 'ISOTYP_UNAUTHENTICATED'],
      ['expired', await forge({ ...good, iat: now - 3600, exp: now - 1800 }), 'ISOTYP_TOKEN_EXPIRED'],
      ['string exp', await forge({ ...good, exp: String(now + 600) }), 'ISOTYP_UNAUTHENTICATED'],
      ['huge exp', await forge({ ...good, exp: 1e300 }), 'ISOTYP_UNAUTHENTICATED'],
      ['exp beyond 15 minutes', await forge({ ...good, exp: now + 86_400 }), 'ISOTYP_UNAUTHENTICATED'],
      ['truncated', author.token.slice(0, -10), 'ISOTYP_UNAUTHENTICATED'],
      ['garbage', 'not.a.jwt', 'ISOTYP_UNAUTHENTICATED'],
    ];
    for (const [name, token, code] of probes) {
      const answer = await cp.call('POST', '/v1/changes', {
        token,
        body: submissionBody(author, target, { mode: 'digest' }),
      });
      expect([name, answer.status, answer.body.error.code]).toEqual([name, 401, code]);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('object- and function-level authorisation (API1, API5)', () => {
  it('answers 404 for another tenant’s objects, whatever the route', async () => {
    const before = await snapshot();
    for (const [method, path, body] of [
      ['GET', `/v1/changes/${changeId}`, undefined],
      ['GET', `/v1/targets/${target.targetId}`, undefined],
      ['GET', `/v1/projects/${target.projectId}/environments`, undefined],
      [
        'POST',
        `/v1/changes/${changeId}/approvals`,
        {
          envelope: approvalOf(
            reviewer,
            { id: changeId, targetId: target.targetId, planDigest: `sha256:${'0'.repeat(64)}`, policyVersion: 1 },
            'review',
          ),
        },
      ],
      ['POST', `/v1/changes/${changeId}/transitions`, { to: 'expired' }],
    ] as const) {
      expectRefused(await cp.call(method, path, { token: otherOrgToken, body }), 404, 'ISOTYP_NOT_FOUND');
    }
    const listed = await cp.ok('GET', '/v1/changes', { token: otherOrgToken });
    expect(listed.changes).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a lower role on admin and approver routes with 403', async () => {
    const before = await snapshot();
    expectRefused(
      await cp.call('POST', '/v1/projects', { token: viewer, body: { name: 'x' } }),
      403,
      'ISOTYP_FORBIDDEN',
    );
    expectRefused(
      await cp.call('POST', '/v1/users', {
        token: author.token,
        body: {
          email: 'x@acme.test',
          displayName: 'x',
          password: ADMIN_PASSWORD,
          grants: [{ role: 'admin', scope: { kind: 'org' } }],
        },
      }),
      403,
      'ISOTYP_FORBIDDEN',
    );
    expectRefused(
      await cp.call('POST', '/v1/trust/policy', { token: reviewer.token, body: { envelope: {} } }),
      403,
      'ISOTYP_FORBIDDEN',
    );
    expectRefused(
      await cp.call('POST', `/v1/changes/${changeId}/transitions`, { token: viewer, body: { to: 'expired' } }),
      403,
      'ISOTYP_FORBIDDEN',
    );
    expectRefused(
      await cp.call('POST', `/v1/changes/${changeId}/approvals`, { token: viewer, body: { envelope: {} } }),
      403,
      'ISOTYP_FORBIDDEN',
    );
    expectRefused(await cp.call('GET', '/v1/tokens', { token: viewer }), 403, 'ISOTYP_FORBIDDEN');
    expectRefused(await cp.call('GET', '/v1/changes'), 401, 'ISOTYP_UNAUTHENTICATED');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a replayed approval and keeps the first', async () => {
    const change = await cp.ok('GET', `/v1/changes/${changeId}`, { token: reviewer.token });
    const envelope = approvalOf(reviewer, change, 'review', { decision: 'reject' });
    await cp.ok('POST', `/v1/changes/${changeId}/approvals`, { token: reviewer.token, body: { envelope } });
    const before = await snapshot();
    const replay = await cp.call('POST', `/v1/changes/${changeId}/approvals`, {
      token: reviewer.token,
      body: { envelope },
    });
    expect(replay.status).toBe(409);
    expect(['ISOTYP_APPROVAL_REPLAYED', 'ISOTYP_INVALID_STATE']).toContain(replay.body.error.code);
    expect(await snapshot()).toEqual(before);
  });
});

describe('malformed and hostile bodies (API4, API8)', () => {
  const path = () => '/v1/projects';

  it('refuses malformed, truncated, deep, text/plain and prototype-polluting JSON', async () => {
    const before = await snapshot();
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const cases: [string, Parameters<LiveControlPlane['call']>[2], number, string][] = [
      ['malformed', { raw: '{"name": shop}' }, 400, 'ISOTYP_MALFORMED_JSON'],
      ['truncated', { raw: '{"name": "sh' }, 400, 'ISOTYP_MALFORMED_JSON'],
      ['deeply nested', { raw: `{"name": ${deep}}` }, 400, 'ISOTYP_INVALID_INPUT'],
      [
        'text/plain',
        { raw: '{"name":"shop"}', headers: { 'content-type': 'text/plain' } },
        415,
        'ISOTYP_UNSUPPORTED_MEDIA_TYPE',
      ],
      ['__proto__ key', { raw: '{"name":"shop","__proto__":{"admin":true}}' }, 400, 'ISOTYP_INVALID_INPUT'],
      ['constructor key', { raw: '{"name":"shop","constructor":{"prototype":{"x":1}}}' }, 400, 'ISOTYP_INVALID_INPUT'],
      ['extra field', { body: { name: 'shop', orgId: 'globex' } }, 400, 'ISOTYP_INVALID_INPUT'],
      ['wrong type', { body: { name: 42 } }, 400, 'ISOTYP_INVALID_INPUT'],
      ['empty body', { raw: '' }, 400, 'ISOTYP_MALFORMED_JSON'],
      ['oversized', { raw: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }, 413, 'ISOTYP_PAYLOAD_TOO_LARGE'],
    ];
    for (const [name, options, status, code] of cases) {
      const answer = await cp.call('POST', path(), { token: admin, ...options });
      expect([name, answer.status, answer.body?.error?.code]).toEqual([name, status, code]);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('cuts off an oversized chunked body (no Content-Length) with 413', async () => {
    const before = await snapshot();
    const url = new URL(`${cp.url}/v1/projects`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${admin}`,
            'idempotency-key': 'chunked-1',
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('{"name":"');
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 40) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    }).catch((error: NodeJS.ErrnoException) => ({
      status: error.code === 'EPIPE' || error.code === 'ECONNRESET' ? 413 : 0,
      body: '{}',
    }));
    expect(answer.status).toBe(413);
    if (answer.body !== '{}') expect(JSON.parse(answer.body).error.code).toBe('ISOTYP_PAYLOAD_TOO_LARGE');
    expect(await snapshot()).toEqual(before);
  });

  it('requires an idempotency key on writes', async () => {
    const before = await snapshot();
    expectRefused(
      await cp.call('POST', '/v1/projects', { token: admin, body: { name: 'x' }, idempotencyKey: null }),
      400,
      'ISOTYP_INVALID_INPUT',
    );
    expect(await snapshot()).toEqual(before);
  });
});
