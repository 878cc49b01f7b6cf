import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  answerDeviceCode,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from '../../../../control-plane/src/test-support/oidc-provider.js';
import { type DeviceStart, deviceLogin, logout, passwordLogin } from './auth.js';
import { SessionFile } from './session.js';
import { type LiveControlPlane, startLiveControlPlane } from './test-support/live-control-plane.js';
import { isotypError, type ScriptedServer, startScriptedServer } from './test-support/scripted-server.js';

/*
 * Sign-in and sign-out against the real control plane on loopback; the device flow through it
 * to a real OpenID provider (oidc-provider, device flow on) whose pages the test fills in like a
 * browser. Only `slow_down` is scripted: the provider never asks a client to slow down.
 */
const PUBLIC_URL = 'http://127.0.0.1:7300';
const CLIENT_ID = 'isotyp-control-plane';
const CLIENT_SECRET = 'a-client-secret-that-must-never-leak-0123456789';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const admin = { email: 'ana@acme.test', password: 'correct horse battery staple' };
const oidcAccount = { sub: 'ben-sub', email: 'ben@acme.test' };

let idp: TestIdp;
let cp: LiveControlPlane;
const scripted: ScriptedServer[] = [];

beforeAll(async () => {
  idp = await startTestIdp({
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${PUBLIC_URL}/v1/auth/oidc/callback`],
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        response_types: ['code'],
      },
    ],
    accounts: { [oidcAccount.sub]: { email: oidcAccount.email, email_verified: true, name: 'Ben' } },
  });
  cp = await startLiveControlPlane({
    org: 'acme',
    admin,
    publicUrl: PUBLIC_URL,
    oidc: { issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, orgId: 'acme' },
  });
});
afterAll(async () => {
  await cp?.close();
  await idp?.close();
});
afterEach(async () => {
  for (const server of scripted.splice(0)) await server.close();
});

const newFile = () => new SessionFile(join(mkdtempSync(join(tmpdir(), 'isotyp-auth-')), 'home'));

async function rejection(promise: Promise<unknown>): Promise<IsotypError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IsotypError) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}

describe('passwordLogin', () => {
  it('signs in, records who the token is for and saves a private session', async () => {
    const file = newFile();
    const result = await passwordLogin({ server: `${cp.url}/`, org: 'acme', ...admin }, file);
    const ana = await cp.store.users.byEmail('acme', admin.email);
    expect(result).toMatchObject({ server: cp.url, org: 'acme', email: admin.email, userId: ana?.id });
    const saved = file.read();
    expect(saved?.server).toBe(cp.url);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    const shown = JSON.stringify(result);
    for (const secret of [saved?.refreshToken, saved?.accessToken, admin.password]) expect(shown).not.toContain(secret);
    // The saved pair is a live session on the server.
    expect((await cp.call('GET', '/v1/auth/whoami', { token: saved?.accessToken })).body.userId).toBe(ana?.id);
    expect(await cp.refreshStatus(saved?.refreshToken ?? '')).toBe(200);
  });

  it('passes on a wrong password as ISOTYP_CREDENTIALS_INVALID and saves nothing', async () => {
    const file = newFile();
    const error = await rejection(
      passwordLogin({ server: cp.url, org: 'acme', email: admin.email, password: 'wrong-password-123' }, file),
    );
    expect(error.code).toBe('ISOTYP_CREDENTIALS_INVALID');
    expect(JSON.stringify(error.toJSON())).not.toContain('wrong-password-123');
    expect(file.read()).toBeUndefined();
  });
});

describe('deviceLogin', () => {
  it('shows the code, polls at the interval until the person approves at the IdP, and saves the session', async () => {
    const waits: number[] = [];
    const shown: DeviceStart[] = [];
    const file = newFile();
    const result = await deviceLogin(cp.url, file, {
      prompt: (start) => shown.push(start),
      sleep: async (ms) => {
        waits.push(ms);
        // The first poll finds the code pending; the person approves before the second.
        if (waits.length === 2) {
          const page = await answerDeviceCode(
            new TestBrowser(),
            shown[0]?.verificationUriComplete ?? '',
            oidcAccount.sub,
          );
          expect(page).toContain('Signed in');
        }
      },
    });
    expect(shown).toHaveLength(1);
    expect(shown[0]?.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(shown[0]?.verificationUri).toBe(`${idp.issuer}/device`);
    const interval = (shown[0]?.interval ?? 0) * 1000;
    expect(waits).toEqual([interval, interval]);
    const ben = await cp.store.users.byOidc(idp.issuer, oidcAccount.sub);
    expect(result).toMatchObject({ server: cp.url, org: 'acme', email: oidcAccount.email, userId: ben?.id });
    const saved = file.read();
    expect(saved).toMatchObject({ server: cp.url, org: 'acme', email: oidcAccount.email });
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(result)).not.toContain(saved?.refreshToken);
    expect(await cp.refreshStatus(saved?.refreshToken ?? '')).toBe(200);
  });

  it('stops at access_denied with the reason and saves nothing', async () => {
    let start: DeviceStart | undefined;
    const file = newFile();
    const error = await rejection(
      deviceLogin(cp.url, file, {
        prompt: (s) => {
          start = s;
        },
        sleep: async () => {
          await answerDeviceCode(new TestBrowser(), start?.verificationUriComplete ?? '', oidcAccount.sub, 'abort');
        },
      }),
    );
    expect(error.code).toBe('ISOTYP_UNAUTHENTICATED');
    expect(error.message).toContain('refused');
    expect(error.details).toEqual({ oauth: 'access_denied' });
    expect(file.read()).toBeUndefined();
  });

  it('gives up when the code expires on our side', async () => {
    let now = 0;
    let sleeps = 0;
    const file = newFile();
    const error = await rejection(
      deviceLogin(cp.url, file, {
        prompt: () => {},
        sleep: async (ms) => {
          sleeps++;
          now += ms * 80; // 5 s of waiting stands for 400 s: the 600 s code expires on the 2nd wait
        },
        now: () => now,
      }),
    );
    expect(error.details).toEqual({ oauth: 'expired_token' });
    expect(sleeps).toBe(2);
    expect(file.read()).toBeUndefined();
  });

  it('waits 5 s longer after each slow_down (scripted: the test IdP never says it)', async () => {
    const start: DeviceStart = {
      deviceCode: 'sealed-handle',
      userCode: 'WDJB-MJHT',
      verificationUri: 'https://idp.example.test/device',
      interval: 2,
      expiresIn: 600,
    };
    const script = ['authorization_pending', 'slow_down', 'authorization_pending', 'access_denied'];
    const server = await startScriptedServer({
      'POST /v1/auth/device': () => ({ status: 200, body: start }),
      'POST /v1/auth/device/token': () => {
        const step = script.shift() ?? 'expired_token';
        return isotypError('ISOTYP_UNAUTHENTICATED', `The identity provider answered ${step}.`, {
          details: { oauth: step },
        });
      },
    });
    scripted.push(server);
    const waits: number[] = [];
    const error = await rejection(
      deviceLogin(server.url, newFile(), { prompt: () => {}, sleep: async (ms) => void waits.push(ms) }),
    );
    expect(waits).toEqual([2000, 2000, 7000, 7000]);
    expect(error.details).toEqual({ oauth: 'access_denied' });
    const polls = server.requests.filter((r) => r.path === '/v1/auth/device/token');
    expect(polls.map((r) => r.body)).toEqual(Array(4).fill({ deviceCode: 'sealed-handle' }));
  });
});

describe('logout', () => {
  it('revokes the refresh token on the server and deletes the session', async () => {
    const file = newFile();
    await passwordLogin({ server: cp.url, org: 'acme', ...admin }, file);
    const refreshToken = file.read()?.refreshToken ?? '';
    const result = await logout(file);
    expect(result).toEqual({ server: cp.url, revoked: true });
    expect(JSON.stringify(result)).not.toContain(refreshToken);
    expect(await cp.refreshStatus(refreshToken)).toBe(401);
    expect(file.read()).toBeUndefined();
  });

  it('forgets the session even when the server is gone', async () => {
    const gone = await startLiveControlPlane({ org: 'acme', admin });
    const file = newFile();
    await passwordLogin({ server: gone.url, org: 'acme', ...admin }, file);
    await gone.close();
    const result = await logout(file);
    expect(result).toEqual({ server: gone.url, revoked: false, reason: 'ISOTYP_UNAVAILABLE' });
    expect(file.read()).toBeUndefined();
  });
});
