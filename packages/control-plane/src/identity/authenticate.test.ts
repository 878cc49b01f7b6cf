import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';

describe('authenticate middleware', () => {
  let t: IdentityApp;
  let adminToken: string;
  beforeAll(async () => {
    t = await identityApp();
    adminToken = await t.login();
  });
  afterAll(() => t.close());

  const whoami = async (headers: Record<string, string>) => {
    const response = await t.app.request('/v1/auth/whoami', { headers });
    return { status: response.status, body: await response.json() };
  };

  it('leaves the principal unset without a header, so protected routes answer 401', async () => {
    const response = await whoami({});
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    // A public route still works without credentials.
    expect((await t.app.request('/.well-known/jwks.json')).status).toBe(200);
  });

  it.each([
    ['Basic YWRtaW46cGFzc3dvcmQ='],
    ['Bearer'],
    ['Bearer '],
    ['Bearer a b'],
    ['Bearer tok\u00e9n'],
    ['Token abc'],
    [`Bearer ${'a'.repeat(20_000)}`],
  ])('answers a malformed Authorization header (%s) with 401, also on public routes', async (header) => {
    const response = await whoami({ authorization: header });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    expect((await t.app.request('/.well-known/jwks.json', { headers: { authorization: header } })).status).toBe(401);
  });

  it('accepts the scheme name in any case, as RFC 7235 says', async () => {
    expect((await whoami({ authorization: `bearer ${adminToken}` })).status).toBe(200);
  });

  it('turns an access token into the user with their current grants', async () => {
    const response = await whoami({ authorization: `Bearer ${adminToken}` });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kind: 'user', orgId: 'acme', userId: t.admin.userId });
    expect(response.body.grants).toEqual([expect.objectContaining({ role: 'admin', scope: { kind: 'org' } })]);
  });

  it('reads grants on every request, so a new grant counts before the token is renewed', async () => {
    await t.seedProject('acme', 'auth-p', ['auth-e']);
    const created = await t.call('POST', '/v1/users', {
      token: adminToken,
      body: { email: 'dana@acme.test', displayName: 'Dana', password: 'dana has a long password', grants: [] },
    });
    expect(created.status).toBe(201);
    const dana = await t.login('dana@acme.test', 'dana has a long password');
    const denied = await t.call('GET', '/v1/tokens', { token: dana });
    expect(denied.status).toBe(403);

    const granted = await t.call('POST', `/v1/users/${created.body.id}/grants`, {
      token: adminToken,
      body: { role: 'admin', scope: { kind: 'project', projectId: 'auth-p' } },
    });
    expect(granted.status).toBe(201);
    expect((await t.call('GET', '/v1/tokens', { token: dana })).status).toBe(200);
  });

  it('refuses a validly signed token for a user who does not exist (or is in another org)', async () => {
    for (const subject of [
      { userId: 'usr_gone', orgId: 'acme', email: 'gone@acme.test' },
      { userId: t.admin.userId, orgId: 'other-org', email: t.admin.email },
    ]) {
      const { token } = await t.identity.accessTokens.issue(subject);
      const response = await whoami({ authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    }
  });
});
