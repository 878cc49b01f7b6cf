import { createServer, type Server, Socket } from 'node:net';
import { type DomainEvent, domainEventSchema } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import { STACK_FRAME } from '../../test-support/run-cli.js';

/*
 * `isotyp events tail` end to end: the built binary against a real control plane (SQLite,
 * loopback HTTP), through a TCP relay the test can cut, so a lost connection is a real one.
 */
const admin = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };
let cp: LiveControlPlane;
let adminToken: string;

/** A TCP relay to the control plane: counts connections, keeps what flowed back, cuts them all on demand. */
interface Relay {
  url: string;
  connections: number;
  downstream: string;
  cut(): void;
  close(): Promise<void>;
}

async function relayTo(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const relay: Relay = {
    url: '',
    connections: 0,
    downstream: '',
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((client) => {
    relay.connections++;
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(Number(port), hostname);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      relay.downstream += chunk.toString('utf8');
      client.write(chunk);
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  relay.url = `http://127.0.0.1:${address.port}`;
  return relay;
}

let home: string;
/** `isotyp events tail ARGS` as the person signed in in `inHome`, to `server`. */
const tail = (args: string[], { inHome = home, server = cp.url } = {}) =>
  runCliAsync(['events', 'tail', ...args], { home: inHome, env: { ISOTYP_SERVER: server } });
/** A fresh HOME signed in to `server` as `email`. */
async function signedIn(email: string, password: string, server = cp.url): Promise<string> {
  const fresh = scratchHome();
  const login = await runCliAsync(['login', '--org', 'acme', '--email', email, '--password-stdin'], {
    home: fresh,
    env: { ISOTYP_SERVER: server },
    input: password,
  });
  expect(login.status, login.stderr).toBe(0);
  return fresh;
}
const linesOf = (stdout: string): DomainEvent[] =>
  stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => domainEventSchema.parse(JSON.parse(line)));
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(check()).toBe(true);
};

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin });
  adminToken = await cp.login(admin.email, admin.password);
  home = await signedIn(admin.email, admin.password);
  await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'shop' } });
}, 60_000);

afterAll(async () => {
  await cp?.close();
});

describe('isotyp events tail', () => {
  it('reads the history from the first event, one JSON line each, and stops at --limit', async () => {
    const run = await tail(['--after', '-1', '--limit', '3', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const events = linesOf(run.stdout);
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(events.every((e) => e.org === 'acme')).toBe(true);

    const text = await tail(['--after', '-1', '--limit', '1']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^\\s+0  \\S+  ${events[0]?.type}\\s+${events[0]?.entity.kind}:`));
    expect(text.stderr).toContain('Following events after seq -1');
  });

  it('follows new events of the given types through a cut connection, none missed or repeated', async () => {
    const relay = await relayTo(cp.url);
    const head = (await cp.store.audit.size()) - 1;
    // Signed in through the relay: a session is only ever sent to the server it was made with.
    const viaRelay = await signedIn(admin.email, admin.password, relay.url);
    const following = tail(['--after', String(head), '--types', 'project.*', '--limit', '3', '--json'], {
      inHome: viaRelay,
      server: relay.url,
    });

    const first = await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'billing' } });
    await until(() => relay.downstream.includes(first.id));
    relay.cut();
    // While it is away: two more projects, and an event of another type it must not print.
    const second = await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'ledger' } });
    await cp.createUser(adminToken, {
      email: 'vera@acme.test',
      password: 'viewer-password-0123',
      grants: [{ role: 'viewer', scope: { kind: 'org' } }],
    });
    const third = await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'reports' } });

    const run = await following;
    await relay.close();
    expect(run.status, run.stderr).toBe(0);
    const events = linesOf(run.stdout);
    expect(events.map((e) => [e.type, e.entity.id])).toEqual([
      ['project.create', first.id],
      ['project.create', second.id],
      ['project.create', third.id],
    ]);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(relay.connections).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toContain('Reconnecting in');
  });

  it('refuses bad filters and callers without audit:read with a code and a hint', async () => {
    const badType = await tail(['--types', 'change.*,Bad Type', '--json']);
    expect(badType.status).toBe(64);
    expect(JSON.parse(badType.stdout).error).toMatchObject({ code: 'ISOTYP_USAGE' });
    expect(JSON.parse(badType.stdout).error.hint).toContain('change.*');

    const badAfter = await tail(['--after', '-2']);
    expect(badAfter.status).toBe(64);
    expect(badAfter.stdout + badAfter.stderr).not.toMatch(STACK_FRAME);

    await cp.createUser(adminToken, {
      email: 'val@acme.test',
      password: 'viewer-password-0123',
      grants: [{ role: 'viewer', scope: { kind: 'org' } }],
    });
    const refused = await tail(['--json'], { inHome: await signedIn('val@acme.test', 'viewer-password-0123') });
    expect(refused.status).toBe(77);
    expect(JSON.parse(refused.stdout).error.code).toBe('ISOTYP_FORBIDDEN');
    expect(refused.stdout + refused.stderr).not.toMatch(STACK_FRAME);
  });
});
