import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentRequest, tlsCall } from '../../packages/control-plane/src/test-support/agent-enrolment.js';
import { tempDatabase } from './postgres.js';
import { type ReplicaSet, startReplicaSet } from './replica-set.mjs';

/*
 * Two real control planes (separate Node processes, the built dist) on one PostgreSQL database,
 * behind a real nginx passing TLS through; every call is real HTTPS over loopback, each on a
 * fresh connection (tlsCall), so nginx balances every one of them anew.
 */

let set: ReplicaSet;
let caPem: string;

beforeAll(async () => {
  const db = await tempDatabase();
  set = await startReplicaSet({ database: db.url, replicas: 2, nginx: { failTimeoutSeconds: 1 } });
  caPem = set.caPem ?? '';
}, 120_000);

afterAll(async () => {
  await set?.close();
});

/** Requests of `route` answered with 200, as the replica at `url` counted them in /metrics. */
async function served(url: string, route: string): Promise<number> {
  const answer = await fetchText(url, '/metrics');
  const line = answer
    .split('\n')
    .find((l) => l.startsWith(`isotyp_http_requests_total{method="GET",route="${route}",status="200"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** GET `path` as text (tlsCall reads JSON), on a fresh connection trusting only the agent CA. */
function fetchText(base: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { ca: caPem, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        response.statusCode === 200 ? resolve(text) : reject(new Error(`${path} → ${response.statusCode}`)),
      );
    }).once('error', reject);
  });
}

async function signIn(base: string): Promise<string> {
  const { status, body } = await tlsCall(`${base}/v1/auth/login`, caPem, {
    method: 'POST',
    body: { org: set.firstAdmin.orgId, email: set.firstAdmin.email, password: set.firstAdmin.password },
  });
  expect(status).toBe(200);
  return body.accessToken;
}

/** Polls `probe` until it holds (no time is asserted: the deadline only ends a hopeless wait). */
async function eventually(probe: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Local addresses of the TCP sockets process `pid` listens on (from /proc, IPv4 and IPv6). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) inodes.add(inode);
    } catch {
      // A descriptor closed while we read the directory.
    }
  }
  const addresses: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const row of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/);
      // local_address is field 1, st (0A = LISTEN) field 3, inode field 9.
      if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) addresses.push(decodeAddress(fields[1] ?? ''));
    }
  }
  return addresses;
}

/** /proc/net/tcp's `0100007F:1F90` → `127.0.0.1`; IPv6 as 32 hex digits. */
function decodeAddress(hexWithPort: string): string {
  const hex = hexWithPort.split(':')[0] ?? '';
  if (hex.length === 8) {
    return (hex.match(/../g) ?? [])
      .reverse()
      .map((b) => Number.parseInt(b, 16))
      .join('.');
  }
  return hex === '00000000000000000000000001000000' ? '::1' : `ipv6:${hex}`;
}

/** nginx's master and its workers. */
function nginxPids(master: number): number[] {
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/);
  return [master, ...children.filter((c) => c !== '').map(Number)];
}

describe('replica set: two control planes behind nginx on one PostgreSQL', () => {
  it('listens on loopback only: nginx (master and workers) and every replica', () => {
    const pids = [...nginxPids(set.nginx.pid ?? 0), ...set.replicas.map((r) => r.pid ?? 0)];
    const listening = pids.flatMap(listeningAddresses);
    // nginx's master holds the listening socket (workers inherit it), each replica its own.
    expect(listening.length).toBeGreaterThanOrEqual(1 + set.replicas.length);
    expect(new Set(listening)).toEqual(new Set(['127.0.0.1']));
    expect(nginxPids(set.nginx.pid ?? 0).length).toBeGreaterThan(1);
  });

  it('spreads requests through nginx over both replicas', async () => {
    const before = await Promise.all(set.replicas.map((r) => served(r.url, '/readyz')));
    for (let i = 0; i < 10; i++) {
      const { status, body } = await tlsCall(`${set.url}/readyz`, caPem);
      expect(status).toBe(200);
      expect(body).toEqual({ status: 'ready' });
    }
    const after = await Promise.all(set.replicas.map((r) => served(r.url, '/readyz')));
    const delta = after.map((n, i) => n - (before[i] ?? 0));
    expect(delta.every((n) => n > 0)).toBe(true);
    expect(delta.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('shares state: a sign-in and a write on one replica are honoured and read on the other', async () => {
    const [a, b] = set.replicas;
    if (a === undefined || b === undefined) throw new Error('two replicas expected');
    const token = await signIn(a.url);
    const created = await tlsCall(`${a.url}/v1/projects`, caPem, {
      method: 'POST',
      token,
      body: { name: 'shared-state' },
    });
    expect(created.status).toBe(201);
    const listed = await tlsCall(`${b.url}/v1/projects`, caPem, { token });
    expect(listed.status).toBe(200);
    expect(listed.body.projects.map((p: { id: string }) => p.id)).toContain(created.body.id);
  });

  it('passes TLS through: an agent enrols and heartbeats through nginx with its own client certificate', async () => {
    const token = await signIn(set.url);
    const issued = await tlsCall(`${set.url}/v1/agents/enrolment-tokens`, caPem, {
      method: 'POST',
      token,
      body: { name: 'edge-through-nginx' },
    });
    expect(issued.status).toBe(201);
    const request = enrolmentRequest(issued.body.token);
    const enrolled = await tlsCall(`${set.url}/v1/agents/enroll`, caPem, { method: 'POST', body: request.body });
    expect(enrolled.status).toBe(201);
    const cert = { cert: enrolled.body.certificate as string, key: request.keyPem };
    const heartbeat = { version: '0.1.0', targets: [] };
    // Twice, so that nginx's round robin hands it to each replica: both see the agent's certificate.
    for (let i = 0; i < 2; i++) {
      const heard = await tlsCall(`${set.url}/v1/agent/heartbeat`, caPem, { method: 'POST', body: heartbeat, cert });
      expect(heard.status).toBe(200);
      expect(heard.body.nextHeartbeatSeconds).toBeGreaterThan(0);
    }
    // Without the certificate, nobody: nginx adds no identity of its own.
    const anonymous = await tlsCall(`${set.url}/v1/agent/heartbeat`, caPem, { method: 'POST', body: heartbeat });
    expect(anonymous.status).toBe(401);
    // Each replica lists the agent as seen: the heartbeat it took itself, or the other's once
    // that replica's buffer has written it to the shared database.
    const [a, b] = set.replicas;
    for (const replica of [a, b]) {
      const seen = await eventually(async () => {
        const agents = await tlsCall(`${replica?.url}/v1/agents`, caPem, { token });
        const mine = agents.body.agents.find((x: { id: string }) => x.id === enrolled.body.agentId);
        return mine?.lastSeenAt !== undefined && mine.lastSeenAt !== null;
      });
      expect(seen).toBe(true);
    }
  });

  it('routes around a replica killed with SIGKILL, and back to it once restarted', async () => {
    const [victim, survivor] = set.replicas;
    if (victim === undefined || survivor === undefined) throw new Error('two replicas expected');
    const pid = victim.pid ?? 0;
    await victim.kill('SIGKILL');
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(tlsCall(`${victim.url}/healthz`, caPem)).rejects.toThrow();

    const survived = await served(survivor.url, '/readyz');
    for (let i = 0; i < 10; i++) {
      const { status } = await tlsCall(`${set.url}/readyz`, caPem);
      expect(status).toBe(200);
    }
    // Every one of the ten went to the survivor (reads of /metrics count under their own route).
    expect((await served(survivor.url, '/readyz')) - survived).toBe(10);
    const token = await signIn(set.url);
    expect((await tlsCall(`${set.url}/v1/projects`, caPem, { token })).status).toBe(200);

    await victim.restart();
    expect(victim.pid).not.toBe(pid);
    expect((await tlsCall(`${victim.url}/healthz`, caPem)).status).toBe(200);
    // Once its fail_timeout is over, nginx sends it traffic again.
    const back = await eventually(async () => {
      await tlsCall(`${set.url}/readyz`, caPem);
      return (await served(victim.url, '/readyz')) > 0;
    });
    expect(back).toBe(true);
  });
});
