import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlaneConfig } from '../config.js';
import { consoleRoutes } from '../console/console-routes.js';
import { createLogger } from '../logger.js';
import { catalogRoutes } from '../routes/catalog.js';
import { changeRoutes } from '../routes/changes.js';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';
import {
  answerDeviceCode,
  type Navigation,
  readForm,
  signInAtIdp,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from '../test-support/oidc-provider.js';
import {
  CALLBACK_PATH,
  CONSOLE_ACCESS_COOKIE,
  CONSOLE_REFRESH_COOKIE,
  LOGIN_STATE_COOKIE,
  oidcRoutes,
} from './oidc-routes.js';

const PUBLIC_URL = 'https://isotyp.test';
const CLIENT_ID = 'isotyp-control-plane';
const CLIENT_SECRET = 'a-client-secret-that-must-never-leak-0123456789';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const accounts = {
  'alice-sub': { email: 'Alice@Example.com', email_verified: true, name: 'Alice Liddell' },
  'bob-sub': { email: 'bob@example.com', name: 'Bob' },
  'mallory-sub': { email: 'admin@acme.test', email_verified: true, name: 'Not the admin' },
  'unverified-sub': { email: 'carol@example.com', email_verified: false },
};

const idpClient = {
  client_id: CLIENT_ID,
  client_secret: CLIENT_SECRET,
  redirect_uris: [`${PUBLIC_URL}${CALLBACK_PATH}`],
  grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
  response_types: ['code'],
};

/** Log lines the OIDC routes write, to prove no secret or token reaches them. */
function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

interface Fixture extends IdentityApp {
  browser: TestBrowser;
  logs: () => string;
}

async function controlPlane(issuer: string, oidc: Partial<NonNullable<ControlPlaneConfig['oidc']>> = {}) {
  const t = await identityApp({
    oidc: { issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, orgId: 'acme', ...oidc },
  });
  const { logger, text } = captureLogs();
  t.app.route(
    '/',
    oidcRoutes({
      store: t.store,
      config: t.config,
      logger,
      sessions: t.identity.sessions,
      now: t.clock.now,
      allowInsecureIdp: true,
    }),
  );
  // The web console, which the callback's session cookies open.
  const appDeps = { store: t.store, config: t.config, logger: createLogger({ level: 'silent' }), now: t.clock.now };
  t.app.route('/', changeRoutes(appDeps));
  t.app.route('/', catalogRoutes(appDeps));
  t.app.route('/', consoleRoutes({ ...appDeps, fetchApi: (request, env) => t.app.fetch(request, env) }));
  const browser = freshBrowser(t);
  return Object.assign(t, { browser, logs: text }) satisfies Fixture;
}

/** A browser with no cookies yet (no IdP session, no login state). */
function freshBrowser(t: IdentityApp): TestBrowser {
  return new TestBrowser({ [PUBLIC_URL]: (request) => t.app.request(request) });
}

const atCallback = (url: URL) => url.href.startsWith(`${PUBLIC_URL}${CALLBACK_PATH}`);
const atConsole = (url: URL) => url.origin === PUBLIC_URL && url.pathname.startsWith('/console');

async function errorOf(response: Response) {
  const body = (await response.json()) as { error: { code: string; retryable: boolean; details?: { oauth?: string } } };
  return { status: response.status, ...body.error };
}

describe('OIDC sign-in against a real OpenID provider on loopback', () => {
  let idp: TestIdp;
  let t: Fixture;
  beforeAll(async () => {
    idp = await startTestIdp({ clients: [idpClient], accounts });
  });
  afterAll(() => idp.close());
  afterEach(() => t?.close());

  /** Console: start → IdP login page → sign in → the IdP's redirect to the callback (not yet followed). */
  async function toCallback(login: string, returnTo = '/console/changes'): Promise<Navigation> {
    const loginPage = await t.browser.navigate(
      `${PUBLIC_URL}/v1/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`,
    );
    expect(loginPage.url.origin).toBe(idp.issuer);
    expect(loginPage.response.status).toBe(200);
    const back = await signInAtIdp(t.browser, loginPage, login, atCallback);
    expect(back.stopped).toBe(true);
    return back;
  }

  describe('console: authorization code + PKCE', () => {
    it('redirects to the IdP with PKCE S256, state and nonce, keeping them in a sealed HttpOnly cookie', async () => {
      t = await controlPlane(idp.issuer);
      const response = await t.browser.request(`${PUBLIC_URL}/v1/auth/oidc/start?return_to=/console/`);
      expect(response.status).toBe(302);
      const to = new URL(response.headers.get('location') ?? '');
      expect(`${to.origin}${to.pathname}`).toBe(`${idp.issuer}/auth`);
      expect(to.searchParams.get('client_id')).toBe(CLIENT_ID);
      expect(to.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}${CALLBACK_PATH}`);
      expect(to.searchParams.get('code_challenge_method')).toBe('S256');
      expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(to.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
      expect(to.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
      expect(to.searchParams.get('scope')?.split(' ')).toContain('openid');
      expect(to.search).not.toContain(CLIENT_SECRET);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${LOGIN_STATE_COOKIE}=`)) ?? '';
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).toMatch(/Secure/i);
      expect(cookie).toMatch(/Max-Age=600/i);
      expect(cookie).toContain(`Path=${CALLBACK_PATH}`);
      // Sealed: neither the state nor the nonce can be read from it.
      expect(cookie).not.toContain(to.searchParams.get('state'));
      expect(cookie).not.toContain(to.searchParams.get('nonce'));
    });

    it('signs a first-time user in end to end: creates them once as viewer and starts a CP session', async () => {
      t = await controlPlane(idp.issuer);
      const back = await toCallback('alice-sub');
      const done = await t.browser.navigate(back.url, { stopAt: atConsole });
      expect(done.stopped).toBe(true);
      expect(done.url.href).toBe(`${PUBLIC_URL}/console/changes`);

      const user = await t.store.users.byOidc(idp.issuer, 'alice-sub');
      expect(user).toMatchObject({ orgId: 'acme', email: 'alice@example.com', displayName: 'Alice Liddell' });
      expect(await t.store.grants.forUser('acme', user?.id ?? '')).toEqual([
        expect.objectContaining({ role: 'viewer', scope: { kind: 'org' } }),
      ]);
      expect(await t.store.audit.byEntity('acme', 'user', user?.id ?? '')).toEqual([
        expect.objectContaining({ action: 'user.create' }),
        expect.objectContaining({ action: 'user.sign-in' }),
      ]);

      const setCookies = done.response.headers.getSetCookie();
      const access = setCookies.find((c) => c.startsWith(`${CONSOLE_ACCESS_COOKIE}=`)) ?? '';
      expect(access).toMatch(/HttpOnly/i);
      expect(access).toMatch(/SameSite=Strict/i);
      expect(setCookies.find((c) => c.startsWith(`${CONSOLE_REFRESH_COOKIE}=`))).toContain('Path=/console');
      const token = /^isotyp_access=([^;]+)/.exec(access)?.[1] ?? '';
      const claims = await t.identity.accessTokens.verify(token);
      expect(claims).toMatchObject({ userId: user?.id, orgId: 'acme', email: 'alice@example.com' });
      // The session works on the API: whoami as the new user.
      const whoami = await t.call('GET', '/v1/auth/whoami', { token });
      expect(whoami.body).toMatchObject({ kind: 'user', userId: user?.id, orgId: 'acme' });
      // The login-state cookie is spent.
      expect(t.browser.cookieHeader(new URL(`${PUBLIC_URL}${CALLBACK_PATH}`))).not.toContain(LOGIN_STATE_COOKIE);

      // The session opens the web console, as Alice.
      const inbox = await t.browser.navigate(`${PUBLIC_URL}/console/approvals`);
      expect(inbox.url.pathname).toBe('/console/approvals');
      expect(inbox.response.status).toBe(200);
      const page = await inbox.response.text();
      expect(page).toContain('alice@example.com');
      expect(page).toContain('Waiting for review (0)');
    });

    it('maps a second sign-in of the same (iss, sub) to the same user, without a second user or grant', async () => {
      t = await controlPlane(idp.issuer);
      await t.browser.navigate((await toCallback('alice-sub')).url, { stopAt: atConsole });
      const first = await t.store.users.byOidc(idp.issuer, 'alice-sub');
      t.browser = freshBrowser(t);
      const done = await t.browser.navigate((await toCallback('alice-sub', '/console/')).url, {
        stopAt: atConsole,
      });
      const token = /isotyp_access=([^;]+)/.exec(done.response.headers.getSetCookie().join('\n'))?.[1] ?? '';
      expect((await t.identity.accessTokens.verify(token)).userId).toBe(first?.id);
      const users = await t.store.users.list('acme');
      expect(users.filter((u) => u.oidcSubject === 'alice-sub')).toHaveLength(1);
      expect(await t.store.grants.forUser('acme', first?.id ?? '')).toHaveLength(1);
    });

    it('refuses a callback whose state is wrong or missing, and creates no user', async () => {
      t = await controlPlane(idp.issuer);
      const back = await toCallback('bob-sub');
      const cookie = t.browser.cookieHeader(back.url);
      const wrong = new URL(back.url);
      wrong.searchParams.set('state', 'an-attackers-state-value');
      const missing = new URL(back.url);
      missing.searchParams.delete('state');
      for (const url of [wrong, missing]) {
        const response = await t.app.request(`${url.pathname}${url.search}`, { headers: { cookie } });
        expect(await errorOf(response)).toMatchObject({ status: 401, code: 'ISOTYP_UNAUTHENTICATED' });
      }
      expect(await t.store.users.byOidc(idp.issuer, 'bob-sub')).toBeUndefined();
    });

    it('refuses a callback without the login-state cookie (another browser, or expired)', async () => {
      t = await controlPlane(idp.issuer);
      const back = await toCallback('bob-sub');
      const response = await t.app.request(`${back.url.pathname}${back.url.search}`);
      expect(await errorOf(response)).toMatchObject({ status: 401, code: 'ISOTYP_UNAUTHENTICATED' });
      // Ten minutes later the sealed cookie has expired even if presented.
      t.browser = freshBrowser(t);
      const again = await toCallback('bob-sub');
      t.clock.advance(601_000);
      const late = await t.browser.navigate(again.url, { stopAt: atConsole });
      expect(await errorOf(late.response)).toMatchObject({ status: 401, code: 'ISOTYP_UNAUTHENTICATED' });
      expect(await t.store.users.byOidc(idp.issuer, 'bob-sub')).toBeUndefined();
    });

    it('refuses a replayed authorization code, with or without the original cookie', async () => {
      t = await controlPlane(idp.issuer);
      const back = await toCallback('bob-sub');
      const cookie = t.browser.cookieHeader(back.url);
      const path = `${back.url.pathname}${back.url.search}`;
      expect((await t.app.request(path, { headers: { cookie } })).status).toBe(302);
      const replayed = await errorOf(await t.app.request(path, { headers: { cookie } }));
      expect(replayed).toMatchObject({
        status: 401,
        code: 'ISOTYP_UNAUTHENTICATED',
        details: { oauth: 'invalid_grant' },
      });
      expect((await errorOf(await t.app.request(path))).status).toBe(401);
    });

    it.each(['https://evil.example/console', '//evil.example/console', '/\\evil.example', 'javascript:alert(1)'])(
      'refuses return_to=%j before anything reaches the IdP',
      async (returnTo) => {
        t = await controlPlane(idp.issuer);
        const response = await t.app.request(`/v1/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`);
        expect(await errorOf(response)).toMatchObject({ status: 400, code: 'ISOTYP_INVALID_INPUT' });
        expect(response.headers.get('location')).toBeNull();
      },
    );

    it('does not link a local account by email: a clash is a 409 and nothing is created', async () => {
      t = await controlPlane(idp.issuer);
      const done = await t.browser.navigate((await toCallback('mallory-sub')).url, { stopAt: atConsole });
      expect(await errorOf(done.response)).toMatchObject({ status: 409, code: 'ISOTYP_CONFLICT' });
      expect(await t.store.users.byOidc(idp.issuer, 'mallory-sub')).toBeUndefined();
      const admin = await t.store.users.byEmail('acme', 'admin@acme.test');
      expect(admin?.oidcSubject).toBeUndefined();
    });

    it('refuses an email the IdP marks unverified', async () => {
      t = await controlPlane(idp.issuer);
      const done = await t.browser.navigate((await toCallback('unverified-sub')).url, { stopAt: atConsole });
      expect(await errorOf(done.response)).toMatchObject({ status: 401, code: 'ISOTYP_UNAUTHENTICATED' });
      expect(await t.store.users.byOidc(idp.issuer, 'unverified-sub')).toBeUndefined();
    });

    it('answers an IdP-side refusal (the user pressed abort) with 401 access_denied', async () => {
      t = await controlPlane(idp.issuer);
      const loginPage = await t.browser.navigate(`${PUBLIC_URL}/v1/auth/oidc/start`);
      const back = await t.browser.submit(
        loginPage.url,
        readForm(await loginPage.response.text(), 'abort'),
        {},
        atCallback,
      );
      expect(back.url.searchParams.get('error')).toBe('access_denied');
      const done = await t.browser.navigate(back.url, { stopAt: atConsole });
      expect(await errorOf(done.response)).toMatchObject({
        status: 401,
        code: 'ISOTYP_UNAUTHENTICATED',
        details: { oauth: 'access_denied' },
      });
    });
  });

  describe('CLI: device authorization grant, proxied', () => {
    const startDevice = async () => {
      const response = await t.app.request('/v1/auth/device', { method: 'POST' });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        deviceCode: string;
        userCode: string;
        verificationUri: string;
        verificationUriComplete: string;
        interval: number;
        expiresIn: number;
      };
    };
    const poll = (deviceCode: string) =>
      t.app.request('/v1/auth/device/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceCode }),
      });

    it('answers pending until the user approves, then the CP tokens of the mapped user', async () => {
      t = await controlPlane(idp.issuer);
      const started = await startDevice();
      expect(started).toMatchObject({ verificationUri: `${idp.issuer}/device`, interval: 5, expiresIn: 600 });
      expect(started.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      // The handle is the CP's own sealed value (a JWE), not the IdP's device code.
      expect(started.deviceCode.split('.')).toHaveLength(5);

      expect(await errorOf(await poll(started.deviceCode))).toMatchObject({
        status: 401,
        code: 'ISOTYP_UNAUTHENTICATED',
        details: { oauth: 'authorization_pending' },
      });

      const page = await answerDeviceCode(new TestBrowser(), started.verificationUriComplete, 'bob@example.com');
      expect(page).toContain('Signed in');

      const approved = await poll(started.deviceCode);
      expect(approved.status).toBe(200);
      const tokens = (await approved.json()) as { accessToken: string; refreshToken: string; expiresIn: number };
      expect(tokens.expiresIn).toBeGreaterThan(0);
      const bob = await t.store.users.byOidc(idp.issuer, 'bob-sub');
      expect(bob).toMatchObject({ orgId: 'acme', email: 'bob@example.com' });
      expect(await t.identity.accessTokens.verify(tokens.accessToken)).toMatchObject({
        userId: bob?.id,
        orgId: 'acme',
      });
      // The refresh token is a real CP session.
      expect((await t.call('POST', '/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(
        200,
      );

      // The IdP's device code is single-use: polling again is not a second session.
      expect(await errorOf(await poll(started.deviceCode))).toMatchObject({
        status: 401,
        code: 'ISOTYP_UNAUTHENTICATED',
      });
    });

    it('answers a denial at the IdP with 401 access_denied', async () => {
      t = await controlPlane(idp.issuer);
      const started = await startDevice();
      await answerDeviceCode(new TestBrowser(), started.verificationUriComplete, 'bob-sub', 'abort');
      expect(await errorOf(await poll(started.deviceCode))).toMatchObject({
        status: 401,
        code: 'ISOTYP_UNAUTHENTICATED',
        details: { oauth: 'access_denied' },
      });
      expect(await t.store.users.byOidc(idp.issuer, 'bob-sub')).toBeUndefined();
    });

    it('answers an expired handle with 401 expired_token, even after approval', async () => {
      t = await controlPlane(idp.issuer);
      const started = await startDevice();
      await answerDeviceCode(new TestBrowser(), started.verificationUriComplete, 'bob-sub');
      t.clock.advance((started.expiresIn + 1) * 1000);
      expect(await errorOf(await poll(started.deviceCode))).toMatchObject({
        status: 401,
        code: 'ISOTYP_UNAUTHENTICATED',
        details: { oauth: 'expired_token' },
      });
      expect(await t.store.users.byOidc(idp.issuer, 'bob-sub')).toBeUndefined();
    });

    it('answers a forged or altered handle with 401 invalid_grant', async () => {
      t = await controlPlane(idp.issuer);
      const started = await startDevice();
      const [header, key, iv, cipher = '', tag] = started.deviceCode.split('.');
      const altered = [header, key, iv, `${cipher.startsWith('A') ? 'B' : 'A'}${cipher.slice(1)}`, tag].join('.');
      for (const handle of [altered, 'the-idps-device-code']) {
        expect(await errorOf(await poll(handle))).toMatchObject({
          status: 401,
          code: 'ISOTYP_UNAUTHENTICATED',
          details: { oauth: 'invalid_grant' },
        });
      }
      expect(await errorOf(await poll(''))).toMatchObject({ status: 400, code: 'ISOTYP_INVALID_INPUT' });
    });
  });

  describe('the IdP failing', () => {
    it('answers 502 ISOTYP_IDP_ERROR (retryable) when the IdP cannot be reached, never leaking the secret', async () => {
      const doomed = await startTestIdp({ clients: [idpClient], accounts });
      t = await controlPlane(doomed.issuer);
      // Discovery and a device authorization succeed while it is up ...
      const started = await t.app.request('/v1/auth/device', { method: 'POST' });
      expect(started.status).toBe(200);
      const { deviceCode } = (await started.json()) as { deviceCode: string };
      await doomed.close();
      // ... then every exchange with it fails as a 502, not a 500.
      const answers = [
        await t.app.request('/v1/auth/device', { method: 'POST' }),
        await t.app.request('/v1/auth/device/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ deviceCode }),
        }),
      ];
      const texts: string[] = [];
      for (const response of answers) {
        const text = await response.clone().text();
        texts.push(text);
        expect(await errorOf(response)).toMatchObject({ status: 502, code: 'ISOTYP_IDP_ERROR', retryable: true });
      }
      expect(answers[0]?.headers.get('retry-after')).not.toBeNull();
      expect(texts.join('') + t.logs()).not.toContain(CLIENT_SECRET);
      expect(t.logs()).toContain('"stage":"device"');
    });

    it('answers 502 when discovery fails, and does not cache the failure', async () => {
      const first = await startTestIdp({ clients: [idpClient], accounts });
      const { issuer } = first;
      await first.close();
      t = await controlPlane(issuer);
      expect(await errorOf(await t.app.request('/v1/auth/oidc/start'))).toMatchObject({
        status: 502,
        code: 'ISOTYP_IDP_ERROR',
        retryable: true,
      });
      expect(await errorOf(await t.app.request('/v1/auth/device', { method: 'POST' }))).toMatchObject({
        status: 502,
        code: 'ISOTYP_IDP_ERROR',
      });
      expect(t.logs()).toContain('"stage":"discovery"');
      expect(t.logs()).not.toContain(CLIENT_SECRET);
      // The provider comes back at the same address: the next request discovers it.
      const back = await startTestIdp({ clients: [idpClient], accounts, port: Number(new URL(issuer).port) });
      try {
        expect((await t.app.request('/v1/auth/oidc/start')).status).toBe(302);
      } finally {
        await back.close();
      }
    });
  });

  it('answers 404 on every OIDC route when no provider is configured, and still documents them', async () => {
    t = Object.assign(await identityApp(), { browser: new TestBrowser(), logs: () => '' });
    t.app.route(
      '/',
      oidcRoutes({
        store: t.store,
        config: t.config,
        logger: pino({ level: 'silent' }),
        sessions: t.identity.sessions,
      }),
    );
    for (const [method, path] of [
      ['GET', '/v1/auth/oidc/start'],
      ['GET', CALLBACK_PATH],
      ['POST', '/v1/auth/device'],
    ] as const) {
      expect(await errorOf(await t.app.request(path, { method }))).toMatchObject({
        status: 404,
        code: 'ISOTYP_NOT_FOUND',
      });
    }
    // Documented either way, so clients see the API whether or not this server has a provider.
    const doc = (await (await t.app.request('/v1/openapi.json')).json()) as { paths: Record<string, object> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/oidc/start', CALLBACK_PATH, '/v1/auth/device', '/v1/auth/device/token']),
    );
  });
});
