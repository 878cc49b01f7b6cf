import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ControlPlaneClient } from './client.js';
import { type Session, SessionFile } from './session.js';
import { type LiveControlPlane, startLiveControlPlane } from './test-support/live-control-plane.js';
import {
  forwardTo,
  type Handler,
  isotypError,
  type ScriptedServer,
  startScriptedServer,
} from './test-support/scripted-server.js';

/*
 * The client against the real control plane on loopback — through a recording tap where a test
 * needs to see the requests it sent. A scripted server stands in only for what the real one
 * cannot be made to do: drop a connection, answer 503 with Retry-After, hang, or put a proxy's
 * HTML page in the way.
 */
const admin = { email: 'ana@acme.test', password: 'correct horse battery staple' };
/** Past the 15-minute access-token lifetime and the server's 30 s tolerance for clock skew. */
const ACCESS_TOKEN_EXPIRED_MS = 16 * 60_000;

let cp: LiveControlPlane;
const servers: ScriptedServer[] = [];

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin });
});
afterAll(async () => {
  await cp?.close();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function scripted(routes: Record<string, Handler>, fallback?: Handler): Promise<ScriptedServer> {
  const server = await startScriptedServer(routes, fallback);
  servers.push(server);
  return server;
}

/** A recording tap in front of the real control plane. */
const tap = () => scripted({}, forwardTo(cp.url));

const noWait = async () => {};

/** A fresh password sign-in saved in a fresh $ISOTYP_HOME, for `server` (the tap or the control plane). */
async function signedIn(server: string): Promise<{ file: SessionFile; session: Session }> {
  const file = new SessionFile(mkdtempSync(join(tmpdir(), 'isotyp-client-')));
  const pair = await cp.signIn(admin.email, admin.password);
  const session: Session = {
    server,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: new Date(Date.now() + 900_000).toISOString(),
    org: 'acme',
    email: admin.email,
  };
  file.write(session);
  return { file, session };
}

async function caught(promise: Promise<unknown>): Promise<IsotypError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IsotypError) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const projects = z.object({ projects: z.array(z.object({ id: z.string() })) });
const me = z.object({ userId: z.string() });

describe('ControlPlaneClient against the control plane', () => {
  it('refreshes an expired access token once, retries, and writes the rotated pair back', async () => {
    const via = await tap();
    const { file, session } = await signedIn(via.url);
    cp.advance(ACCESS_TOKEN_EXPIRED_MS);

    const client = new ControlPlaneClient({ server: via.url, credentials: { kind: 'session', session, file } });
    const ana = await cp.store.users.byEmail('acme', admin.email);
    expect(await client.get('/v1/auth/whoami', me)).toMatchObject({ userId: ana?.id });

    const saved = file.read();
    expect(saved?.refreshToken).not.toBe(session.refreshToken);
    expect(saved?.accessToken).not.toBe(session.accessToken);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    // The first try carried the expired token; the refresh carried none; the retry the new one.
    const [first, refresh, retry, ...more] = via.requests;
    expect(first?.headers.authorization).toBe(`Bearer ${session.accessToken}`);
    expect(refresh?.path).toBe('/v1/auth/refresh');
    expect(refresh?.headers.authorization).toBeUndefined();
    expect(retry?.headers.authorization).toBe(`Bearer ${saved?.accessToken}`);
    expect(more).toEqual([]);
    // The server took the new pair and spent the old refresh token.
    expect(await cp.refreshStatus(saved?.refreshToken ?? '')).toBe(200);
    expect(await cp.refreshStatus(session.refreshToken)).toBe(401);
  });

  it('lets concurrent commands share one refresh instead of spending the token twice', async () => {
    const via = await tap();
    const { file, session } = await signedIn(via.url);
    cp.advance(ACCESS_TOKEN_EXPIRED_MS);
    // Two processes that read the same session file before either refreshed. Spending the
    // token twice would look like theft to the server, which would end the session.
    const a = new ControlPlaneClient({ server: via.url, credentials: { kind: 'session', session, file } });
    const b = new ControlPlaneClient({ server: via.url, credentials: { kind: 'session', session, file } });
    await Promise.all([a.get('/v1/auth/whoami', me), b.get('/v1/auth/whoami', me)]);
    expect(via.requests.filter((r) => r.path === '/v1/auth/refresh')).toHaveLength(1);
    expect(await cp.refreshStatus(file.read()?.refreshToken ?? '')).toBe(200);
  });

  it('reports an ended session as ISOTYP_NOT_SIGNED_IN without leaking tokens', async () => {
    const { file, session } = await signedIn(cp.url);
    cp.advance(ACCESS_TOKEN_EXPIRED_MS);
    // Someone else spent the refresh token (e.g. a copy of the session file elsewhere).
    expect(await cp.refreshStatus(session.refreshToken)).toBe(200);
    const client = new ControlPlaneClient({ server: cp.url, credentials: { kind: 'session', session, file } });
    const error = await caught(client.get('/v1/projects', projects));
    expect(error.code).toBe('ISOTYP_NOT_SIGNED_IN');
    expect(error.hint).toContain(`isotyp login --server ${cp.url}`);
    const shown = JSON.stringify(error.toJSON());
    expect(shown).not.toContain(session.refreshToken);
    expect(shown).not.toContain(session.accessToken);
  });

  it('never refreshes a bearer token given as ISOTYP_TOKEN', async () => {
    const adminToken = await cp.login(admin.email, admin.password);
    const project = await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'ci-shop' } });
    const env = await cp.ok('POST', `/v1/projects/${project.id}/environments`, {
      token: adminToken,
      body: { name: 'prod' },
    });
    const ci = await cp.ok('POST', '/v1/tokens', {
      token: adminToken,
      body: { name: 'deploy', projectId: project.id, environmentId: env.id, actions: ['read'], expiresInDays: 1 },
    });
    cp.advance(2 * 86_400_000);
    const via = await tap();
    // An expired CI token is refused as expired, and never "refreshed".
    const expiredCi = new ControlPlaneClient({ server: via.url, credentials: { kind: 'token', token: ci.token } });
    const refused = await caught(expiredCi.get('/v1/projects', projects));
    expect(refused.code).toBe('ISOTYP_TOKEN_EXPIRED');
    expect(JSON.stringify(refused.toJSON())).not.toContain(ci.token);
    // An expired access token passed as a bearer gets ISOTYP_TOKEN_EXPIRED, passed on as is.
    const bearer = new ControlPlaneClient({ server: via.url, credentials: { kind: 'token', token: adminToken } });
    expect((await caught(bearer.get('/v1/projects', projects))).code).toBe('ISOTYP_TOKEN_EXPIRED');
    expect(via.requests.map((r) => r.path)).toEqual(['/v1/projects', '/v1/projects']);
  });

  it('gives up on a final error at once', async () => {
    const adminToken = await cp.login(admin.email, admin.password);
    const password = 'viewer-password-0123';
    await cp.createUser(adminToken, {
      email: 'vera@acme.test',
      password,
      grants: [{ role: 'viewer', scope: { kind: 'org' } }],
    });
    const via = await tap();
    const waits: number[] = [];
    const client = new ControlPlaneClient({
      server: via.url,
      credentials: { kind: 'token', token: await cp.login('vera@acme.test', password) },
      sleep: async (ms) => void waits.push(ms),
    });
    const error = await caught(client.get('/v1/users', z.unknown()));
    expect(error.code).toBe('ISOTYP_FORBIDDEN');
    expect(error.retryable).toBe(false);
    expect(waits).toEqual([]);
    expect(via.requests).toHaveLength(1);
  });

  it("maps the server's error body to an IsotypError with its code, hint, details and request id", async () => {
    const token = await cp.login(admin.email, admin.password);
    const client = new ControlPlaneClient({ server: cp.url, credentials: { kind: 'token', token } });
    const error = await caught(client.get('/v1/projects/prj_nope', z.unknown()));
    expect(error.code).toBe('ISOTYP_NOT_FOUND');
    expect(error.message).toBe('No project prj_nope in your organisation.');
    expect(error.hint).toEqual(expect.any(String));
    expect(error.exitCode).toBe(66);
    expect(error.details).toMatchObject({ kind: 'project', id: 'prj_nope', requestId: expect.any(String) });
    expect(JSON.stringify(error.toJSON())).not.toContain(token);
  });

  it('refuses an answer of another shape than the one expected', async () => {
    const token = await cp.login(admin.email, admin.password);
    const client = new ControlPlaneClient({ server: cp.url, credentials: { kind: 'token', token } });
    // The users list is a fine answer, but not the projects list this caller expects.
    const error = await caught(client.get('/v1/users', projects));
    expect(error.code).toBe('ISOTYP_UNSUPPORTED_VERSION');
    expect(error.message).toContain('GET /v1/users');
  });

  it('sends query arrays as repeated parameters, and leaves out undefined ones', async () => {
    const via = await tap();
    const token = await cp.login(admin.email, admin.password);
    const client = new ControlPlaneClient({ server: via.url, credentials: { kind: 'token', token } });
    // The server validates each state: one comma-joined value would be refused.
    const answer = await client.get('/v1/changes', z.object({ changes: z.array(z.unknown()) }), {
      state: ['submitted', 'in_review'],
      limit: 5,
      targetId: undefined,
    });
    expect(answer.changes).toEqual([]);
    const query = via.requests[0]?.query;
    expect(query?.getAll('state')).toEqual(['submitted', 'in_review']);
    expect(query?.get('limit')).toBe('5');
    expect(query?.has('targetId')).toBe(false);
  });

  it('keeps the session file private after a refresh even with a lax umask', async () => {
    const old = process.umask(0o000);
    try {
      const { file, session } = await signedIn(cp.url);
      cp.advance(ACCESS_TOKEN_EXPIRED_MS);
      await new ControlPlaneClient({ server: cp.url, credentials: { kind: 'session', session, file } }).get(
        '/v1/projects',
        projects,
      );
      expect(statSync(file.path).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file.path, 'utf8')).refreshToken).not.toBe(session.refreshToken);
    } finally {
      process.umask(old);
    }
  });
});

describe('ControlPlaneClient when the network or the server misbehaves (scripted)', () => {
  it('sends one idempotency key per call and reuses it across retries', async () => {
    let calls = 0;
    const server = await scripted({
      'POST /v1/projects': () => {
        calls++;
        if (calls === 1) return { status: 0, destroy: true }; // the connection drops
        if (calls === 2) return isotypError('ISOTYP_UNAVAILABLE', 'Restarting.');
        return { status: 201, body: { id: `prj_${calls}` } };
      },
    });
    const client = new ControlPlaneClient({ server: server.url, sleep: noWait });
    const schema = z.object({ id: z.string() });
    expect(await client.post('/v1/projects', { name: 'shop' }, schema)).toEqual({ id: 'prj_3' });
    await client.post('/v1/projects', { name: 'shop' }, schema);
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(keys[3]).not.toBe(keys[0]);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('waits as long as Retry-After says on a 503', async () => {
    let calls = 0;
    const server = await scripted({
      'GET /v1/projects': () =>
        ++calls === 1
          ? { ...isotypError('ISOTYP_UNAVAILABLE', 'Draining.'), headers: { 'retry-after': '3' } }
          : { status: 200, body: { projects: [] } },
    });
    const waits: number[] = [];
    const client = new ControlPlaneClient({ server: server.url, sleep: async (ms) => void waits.push(ms) });
    expect(await client.get('/v1/projects', projects)).toEqual({ projects: [] });
    expect(waits).toEqual([3000]);
  });

  it('maps a foreign error page by its status', async () => {
    const server = await scripted({ 'GET /v1/projects': () => ({ status: 502, text: '<html>Bad gateway</html>' }) });
    const client = new ControlPlaneClient({ server: server.url, retries: 0 });
    const error = await caught(client.get('/v1/projects', projects));
    expect(error.code).toBe('ISOTYP_UNAVAILABLE');
    expect(error.message).toContain('HTTP 502');
    expect(error.details).toMatchObject({ status: 502 });
  });

  it('reports an unreachable server as ISOTYP_UNAVAILABLE naming the server, never the password', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const client = new ControlPlaneClient({ server, sleep: noWait });
    const password = 'hunter2-very-secret';
    const error = await caught(client.post('/v1/auth/login', { org: 'acme', email: 'a@b.c', password }, z.unknown()));
    expect(error.code).toBe('ISOTYP_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(server);
    expect(error.message).toContain('ECONNREFUSED');
    expect(JSON.stringify(error.toJSON())).not.toContain(password);
    expect(error.stack).not.toContain(password);
  });

  it('times out a silent server with ISOTYP_TIMEOUT', async () => {
    const server = await scripted({
      'GET /v1/projects': () => ({ status: 200, body: { projects: [] }, delayMs: 2000 }),
    });
    const client = new ControlPlaneClient({ server: server.url, timeoutMs: 100, retries: 0 });
    const error = await caught(client.get('/v1/projects', projects));
    expect(error.code).toBe('ISOTYP_TIMEOUT');
    expect(error.message).toContain(server.url);
  });
});
