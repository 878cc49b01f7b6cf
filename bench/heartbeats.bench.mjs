// Agent heartbeats over mutual TLS (issue 5): many simulated agents, each enrolled for real (its
// own RSA key, its own certificate from the control plane's CA) and holding its own TLS
// connection, send heartbeats back to back to a control plane serving HTTPS on the embedded
// SQLite store. Beside it, in the same run and over the same connections, the control plane's
// GET /healthz: the cost of TLS, HTTP and the middleware without authentication or a write.
// Goal: ≥ 5,000 heartbeats/s on this 2-core machine.
//
// HB_BENCH_AGENTS (default 200), HB_BENCH_SECONDS (10 per row), HB_BENCH_WARMUP_SECONDS (2).
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { importBuilt, requireFrom } from './harness.mjs';

export const title = 'agent heartbeats over mutual TLS, many agents at once';

const AGENTS = Number(process.env.HB_BENCH_AGENTS ?? 200);
const SECONDS = Number(process.env.HB_BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.HB_BENCH_WARMUP_SECONDS ?? 2);
const GOAL_PER_SECOND = 5000;
const SERVER = fileURLToPath(new URL('./cp-server.mjs', import.meta.url));
const PASSWORD = randomBytes(18).toString('base64url');

export default async function bench() {
  const protocol = await importBuilt('protocol');
  const forge = requireFrom('control-plane', 'node-forge');
  const undici = requireFrom('control-plane', 'undici');
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-hb-bench-'));
  const child = spawn(process.execPath, [SERVER, 'control-plane-tls', `sqlite:${join(dir, 'cp.db')}`], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CP_BENCH_ADMIN_PASSWORD: PASSWORD },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const { url, caPem } = JSON.parse(
      await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    );
    const admin = new undici.Agent({ connect: { ca: caPem } });
    const api = async (method, path, { token, body, dispatcher = admin } = {}) => {
      const response = await undici.fetch(`${url}${path}`, {
        method,
        dispatcher,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${text}`);
      return JSON.parse(text);
    };
    const { accessToken } = await api('POST', '/v1/auth/login', {
      body: { org: 'acme', email: 'admin@acme.test', password: PASSWORD },
    });

    // Enrol every agent as isotyp agent enroll does: its own keys, its own certificate.
    const agents = [];
    for (let i = 0; i < AGENTS; i++) {
      const { token } = await api('POST', '/v1/agents/enrolment-tokens', {
        token: accessToken,
        body: { name: `edge-${i}` },
      });
      const tls = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const csr = forge.pki.createCertificationRequest();
      csr.publicKey = forge.pki.publicKeyFromPem(tls.publicKey.export({ type: 'spki', format: 'pem' }));
      csr.sign(
        forge.pki.privateKeyFromPem(tls.privateKey.export({ type: 'pkcs1', format: 'pem' })),
        forge.md.sha256.create(),
      );
      const identity = protocol.generateKeyPair();
      const proof = protocol.sealAgentIdentity(token, identity);
      const enrolled = await api('POST', '/v1/agents/enroll', {
        body: { token, csr: forge.pki.certificationRequestToPem(csr), identity: proof },
      });
      agents.push(
        new undici.Agent({
          connections: 1,
          connect: {
            ca: caPem,
            cert: enrolled.certificate,
            key: tls.privateKey.export({ type: 'pkcs8', format: 'pem' }),
          },
        }),
      );
    }
    await admin.close();

    const heartbeat = JSON.stringify({
      version: '0.1.0',
      targets: [{ name: 'orders', dialect: 'postgres', digest: `sha256:${'a'.repeat(64)}`, drift: false }],
    });
    const routes = [
      {
        name: `heartbeat POST /v1/agent/heartbeat (${AGENTS} agents, own certificates)`,
        method: 'POST',
        path: '/v1/agent/heartbeat',
        body: heartbeat,
      },
      { name: `reference GET /healthz (same ${AGENTS} mTLS connections)`, method: 'GET', path: '/healthz' },
    ];
    const lines = createInterface({ input: child.stdout });
    const command = (line) =>
      new Promise((resolve) => {
        lines.once('line', resolve);
        child.stdin.write(`${line}\n`);
      });
    const rows = [];
    for (const route of routes) {
      await drive(undici, url, agents, route, WARMUP_SECONDS);
      // HB_BENCH_PROFILE=<file>: V8's CPU profile of the control plane during the heartbeat row.
      const profile =
        process.env.HB_BENCH_PROFILE && route.method === 'POST' ? process.env.HB_BENCH_PROFILE : undefined;
      if (profile) await command('profile');
      rows.push(await drive(undici, url, agents, route, SECONDS));
      if (profile) await command(`stop-profile ${profile}`);
    }
    const heard = rows[0].opsPerSec;
    for (const row of rows) row.ofBare = row.opsPerSec / rows[1].opsPerSec;
    await Promise.all(agents.map((a) => a.close()));
    return {
      groups: [{ title: `SQLite store, HTTPS with client certificates, ${AGENTS} enrolled agents`, rows }],
      notes: [
        `each agent holds one TLS connection (its own RSA 2048 key and certificate) and sends the next request as soon as the last is answered; ${SECONDS} s per row after ${WARMUP_SECONDS} s of warm-up; "of bare" is the share of the /healthz reference`,
        `heartbeats: ${Math.round(heard).toLocaleString('en')}/s — goal ≥ ${GOAL_PER_SECOND.toLocaleString('en')}/s ${heard >= GOAL_PER_SECOND ? 'met' : 'NOT met'}`,
        `${os.cpus().length} cores shared by the control plane and the load generator (one process each)`,
      ],
      ...(rows.some((r) => r.failed)
        ? {
            failed: rows
              .filter((r) => r.failed)
              .map((r) => r.failure)
              .join('; '),
          }
        : {}),
    };
  } finally {
    child.stdin.end();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every agent sends `route` back to back for `seconds`; the row of what was answered in time. */
async function drive(undici, url, agents, route, seconds) {
  const latencies = [];
  let failures = 0;
  let failure = '';
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    agents.map(async (dispatcher) => {
      while (performance.now() < until) {
        const started = performance.now();
        try {
          const response = await undici.request(`${url}${route.path}`, {
            method: route.method,
            dispatcher,
            headers: route.body === undefined ? {} : { 'content-type': 'application/json' },
            ...(route.body === undefined ? {} : { body: route.body }),
          });
          await response.body.dump();
          if (response.statusCode !== 200) {
            failures++;
            failure = `${route.path} answered ${response.statusCode}`;
          } else latencies.push(performance.now() - started);
        } catch (error) {
          failures++;
          failure = `${route.path}: ${error.message}`;
        }
      }
    }),
  );
  const sorted = Float64Array.from(latencies).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return {
    task: failures === 0 ? route.name : `${route.name} FAILED`,
    opsPerSec: latencies.length / seconds,
    medianMs: at(50),
    meanMs: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    p95Ms: at(95),
    p99Ms: at(99),
    samples: latencies.length,
    failed: failures > 0,
    failure: failures > 0 ? `${failures} failed (${failure})` : '',
  };
}
