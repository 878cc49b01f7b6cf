// Resident memory of an idle agent daemon (issue 5): `isotyp agent start` enrolled against a
// control plane over mutual TLS, with nothing to do, sampled from /proc after it settles — beside
// an idle `node` process (a timer and nothing else) as the floor, in the same run.
//
// AGENT_BENCH_SETTLE_SECONDS (default 15) before sampling; AGENT_BENCH_SAMPLES (10, one a second).
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { importBuilt, ROOT, requireFrom } from './harness.mjs';

export const title = 'agent daemon: resident memory when idle';

const SETTLE_SECONDS = Number(process.env.AGENT_BENCH_SETTLE_SECONDS ?? 15);
const SAMPLES = Number(process.env.AGENT_BENCH_SAMPLES ?? 10);
const SERVER = fileURLToPath(new URL('./cp-server.mjs', import.meta.url));
const CLI = `${ROOT}packages/cli/bin/run.js`;
const PASSWORD = randomBytes(18).toString('base64url');

export default async function bench() {
  const undici = requireFrom('control-plane', 'undici');
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-agent-bench-'));
  const children = [];
  const spawnChild = (args, env = {}) => {
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    children.push(child);
    return child;
  };
  try {
    const cp = spawnChild([SERVER, 'control-plane-tls', `sqlite:${join(dir, 'cp.db')}`], {
      CP_BENCH_ADMIN_PASSWORD: PASSWORD,
    });
    const { url, caPem } = JSON.parse(
      await new Promise((resolve) => createInterface({ input: cp.stdout }).once('line', resolve)),
    );
    const dispatcher = new undici.Agent({ connect: { ca: caPem } });
    const api = async (method, path, { token, body } = {}) => {
      const response = await undici.fetch(`${url}${path}`, {
        method,
        dispatcher,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
      return response.json();
    };
    const { accessToken } = await api('POST', '/v1/auth/login', {
      body: { org: 'acme', email: 'admin@acme.test', password: PASSWORD },
    });
    // As after isotyp org init: an org root for the agent to pin at enrolment.
    const protocol = await importBuilt('protocol');
    const root = protocol.generateKeyPair();
    const rootKeyId = protocol.keyId(root.publicKey);
    await api('POST', '/v1/trust/root', {
      token: accessToken,
      body: {
        envelope: protocol.sealEnvelope({
          type: protocol.ORG_ROOT_ENVELOPE_TYPE,
          payload: { org: 'acme', keyId: rootKeyId, publicKey: protocol.encodePublicKey(root.publicKey) },
          secretKey: root.secretKey,
        }),
      },
    });
    const { token, caFingerprint } = await api('POST', '/v1/agents/enrolment-tokens', {
      token: accessToken,
      body: { name: 'idle' },
    });
    await dispatcher.close();

    const home = join(dir, 'agent-home');
    const env = { HOME: home, ISOTYP_HOME: home, NO_COLOR: '1' };
    const enrol = spawnChild([CLI, 'agent', 'enroll', '--url', url, '--ca-fingerprint', caFingerprint], {
      ...env,
      ISOTYP_ENROLMENT_TOKEN: token,
    });
    const enrolled = await new Promise((resolve) => enrol.once('exit', resolve));
    if (enrolled !== 0) throw new Error(`isotyp agent enroll exited ${enrolled}`);
    const config = join(dir, 'agent.yaml');
    writeFileSync(config, 'targets: {}\n');

    // The installation check reads every installed file once at start: kept, it is part of the cost.
    const devKey = JSON.parse(readFileSync(`${ROOT}.artifacts/release/dev-key.json`, 'utf8')).publicKey;
    const agent = spawnChild([CLI, 'agent', 'start', '--config', config], { ...env, ISOTYP_RELEASE_KEYS: devKey });
    const floor = spawnChild(['-e', 'setInterval(() => {}, 1000)']);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
    if (agent.exitCode !== null) throw new Error(`isotyp agent start exited ${agent.exitCode}`);
    const rows = [
      { name: 'isotyp agent start, idle (heartbeats, long polls over mutual TLS)', pid: agent.pid },
      { name: 'node -e "setInterval(() => {}, 1000)" (the floor)', pid: floor.pid },
    ].map((p) => ({ ...p, samples: [] }));
    for (let i = 0; i < SAMPLES; i++) {
      for (const row of rows) row.samples.push(residentMiB(row.pid));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const result = rows.map((row) => {
      const sorted = [...row.samples].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      return { task: row.name, rssMiB: median, rssMaxMiB: sorted.at(-1), samples: sorted.length };
    });
    return {
      groups: [
        {
          title: `resident set size after ${SETTLE_SECONDS} s idle, ${SAMPLES} samples a second apart`,
          rows: result,
        },
      ],
      notes: [
        `idle agent daemon: ${result[0].rssMiB.toFixed(1)} MiB resident (median; max ${result[0].rssMaxMiB.toFixed(1)}), ` +
          `${(result[0].rssMiB - result[1].rssMiB).toFixed(1)} MiB above an idle node process (${result[1].rssMiB.toFixed(1)} MiB)`,
        'read from /proc/<pid>/status (VmRSS)',
      ],
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function residentMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}
