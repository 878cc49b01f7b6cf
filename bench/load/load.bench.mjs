// Scale and resilience (issue 10): 10,000 simulated agents heartbeating plus 1,000 concurrent API
// readers against two control-plane replicas behind nginx, on one PostgreSQL. Reports p50/p95/p99,
// throughput and errors per class, memory and CPU per process, and checks the SLO: p95 < 150 ms
// and an error rate < 0.1% for heartbeats and for reads. A breached SLO fails the run (non-zero
// exit) and says which.
//
// Everything is real and over loopback: PostgreSQL (scripts/pg-server.mjs), two replicas as
// separate processes and nginx passing TLS through (scripts/test-support/replica-set.mjs), HTTPS
// with client certificates. The database is seeded as bench/control-plane.bench.mjs seeds it
// (bench/cp-server.mjs: users, org trust, 60 targets, 200 signed changes), then:
//
// - agents are enrolled for real through nginx (enrolment token, certificate request, identity
//   proof, a certificate from the CA), except that their RSA key pairs come from a pool of
//   LOAD_KEY_POOL (16): the control plane accepts one public key in several requests, and
//   10,000 RSA keys would take longer than the bench. Each agent still has its own identity,
//   agent id and certificate, and its own TLS connection (bench/load/agents.mjs);
// - agents heartbeat at the interval the control plane answers (30 s) with ±10% jitter; with
//   LOAD_POLL=1 they also long-poll for work between heartbeats as `isotyp agent start` does;
// - readers are viewers (signed in) and read-only CI tokens, each reader on its own connection,
//   reading the change list, the catalog and single changes with a think time
//   (bench/load/readers.mjs).
//
// Both drivers run in processes of their own, started together. The first LOAD_RAMP_SECONDS
// (one heartbeat interval, so every agent has connected) are not measured; LOAD_SECONDS are.
// An agent whose first heartbeat fails (the ramp's note says how many did, and why) connects
// again at its next one, inside the measured window.
//
// Knobs: LOAD_AGENTS (10000), LOAD_READERS (1000), LOAD_SECONDS (90), LOAD_RAMP_SECONDS (30),
// LOAD_THINK_MS (1000: a reader's mean pause; 0 = closed loop, a saturation test), LOAD_POLL (0),
// LOAD_REPLICAS (2), LOAD_AGENT_PROCESSES (4), LOAD_KEY_POOL (16), LOAD_ENROL_CONCURRENCY (8), LOAD_READER_USERS (20),
// LOAD_CI_TOKENS (20), LOAD_SLO_P95_MS (150), LOAD_SLO_ERROR_RATE (0.001), LOAD_LATENCY_BUDGET_MS (the
// replicas' load-shedding budget; default theirs, 150; 0 = no shedding).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../scripts/pg-server.mjs';
import { startReplicaSet } from '../../scripts/test-support/replica-set.mjs';
import { childPids, cpuSeconds, ROOT, runSql, withDatabase } from '../harness.mjs';
import { apiClient, enrolFleet, readerPrincipals } from './fleet.mjs';
import { Recorder } from './stats.mjs';

export const title = 'scale: 10,000 agents heartbeating + 1,000 API readers, two replicas behind nginx';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const AGENTS = num('LOAD_AGENTS', 10_000);
const READERS = num('LOAD_READERS', 1000);
const SECONDS = num('LOAD_SECONDS', 90);
const RAMP_SECONDS = num('LOAD_RAMP_SECONDS', 30);
const THINK_MS = num('LOAD_THINK_MS', 1000);
const POLL = process.env.LOAD_POLL === '1';
const REPLICAS = num('LOAD_REPLICAS', 2);
const AGENT_PROCESSES = num('LOAD_AGENT_PROCESSES', 4);
const KEY_POOL = num('LOAD_KEY_POOL', 16);
const ENROL_CONCURRENCY = num('LOAD_ENROL_CONCURRENCY', 8);
const READER_USERS = num('LOAD_READER_USERS', 20);
const CI_TOKENS = num('LOAD_CI_TOKENS', 20);
const SLO = { p95Ms: num('LOAD_SLO_P95_MS', 150), errorRate: num('LOAD_SLO_ERROR_RATE', 0.001) };
const FRESH = process.env.LOAD_FRESH === '1';
const CERTIFICATE_HOURS = 24 * 30;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const CACHE_DIR = `${ROOT}.artifacts/bench/load`;

export default async function bench() {
  for (const pkg of ['protocol', 'control-plane']) {
    if (!existsSync(`${ROOT}packages/${pkg}/dist/index.js`)) {
      throw new Error(`packages/${pkg}/dist/index.js does not exist: run \`pnpm build\` first`);
    }
  }
  const loadBefore = os.loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-load-bench-'));
  const children = [];
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const pg = await startPostgres({ stopOnSignals: true });
  let set;
  try {
    await runSql(createRequire(`${ROOT}package.json`)('pg'), pg.url, 'CREATE DATABASE load TEMPLATE template0');
    const database = withDatabase(pg.url, 'load');
    const cached = restoreFleet(pg, database);
    const password = cached?.password ?? randomBytes(18).toString('base64url');
    const caPassphrase = cached?.caPassphrase ?? randomBytes(24).toString('base64url');
    const seeded = cached?.seeded ?? (await seed(database, password, children));
    set = await startReplicaSet({
      database,
      replicas: REPLICAS,
      firstAdmin: { orgId: 'acme', orgName: 'Acme', email: 'admin@acme.test', password },
      // Every request is logged at info (to a file), as `isotyp server start` logs to stdout.
      logLevel: 'info',
      config: {
        caPassphrase,
        // Every client comes through nginx, i.e. from 127.0.0.1: the per-IP limit would see one
        // client. Both limiters stay in the path, only their ceiling is out of reach.
        rateLimit: { perIp: 1e9, perPrincipal: 1e9, windowSeconds: 60 },
        // The longest allowed, so that a cached fleet stays valid (renewal is not measured here).
        agentCertificateHours: CERTIFICATE_HOURS,
        // The replicas' load-shedding budget (LOAD_LATENCY_BUDGET_MS; 0 turns shedding off).
        ...(process.env.LOAD_LATENCY_BUDGET_MS === undefined
          ? {}
          : { latencyBudgetMs: Number(process.env.LOAD_LATENCY_BUDGET_MS) }),
      },
      // Long polls hold every agent's connection: two descriptors each at nginx, past one
      // worker's limit here (ulimit -n 20,000 and no CAP_SYS_RESOURCE to raise it).
      // No replica is ever skipped: under this load a replica may accept slowly, and skipping
      // it would only pile everything on the other (or, with both skipped, refuse everything).
      nginx: {
        workerConnections: 2 * (AGENTS + READERS) + 1024,
        // Every agent keeps its connection (the replicas keep idle ones 65 s, longer than the
        // heartbeat interval): ~2 descriptors a client, past one worker's descriptor limit here.
        workerProcesses: 2,
        maxFails: 0,
        connectTimeoutSeconds: 10,
        accessLog: true,
      },
    });
    const api = apiClient(set.url, set.caPem);
    const signIn = async () =>
      (await api.call('POST', '/v1/auth/login', { body: { org: 'acme', email: 'admin@acme.test', password } }))
        .accessToken;
    let fleet = cached?.fleet;
    if (fleet === undefined) {
      fleet = await enrolFleet(api, signIn, { count: AGENTS, keyPool: KEY_POOL, concurrency: ENROL_CONCURRENCY });
      saveFleet(pg, database, { password, caPassphrase, seeded, fleet });
    }
    const principals = await readerPrincipals(api, await signIn(), { users: READER_USERS, ciTokens: CI_TOKENS });
    await api.close();

    const common = { url: set.url, caPem: set.caPem, rampSeconds: RAMP_SECONDS, seconds: SECONDS };
    // The agents in AGENT_PROCESSES processes: one process holding 10,000 TLS connections has a
    // heap whose collections pause it for long enough to show in its own latencies.
    const slices = Array.from({ length: AGENT_PROCESSES }, (_, i) =>
      fleet.agents.filter((_agent, n) => n % AGENT_PROCESSES === i),
    );
    const agentDrivers = slices.map((agents, i) =>
      startDriver('agents', { ...common, keys: fleet.keys, agents, poll: POLL }, dir, children, `agents-${i}`),
    );
    const readerDriver = startDriver(
      'readers',
      { ...common, readers: READERS, thinkMs: THINK_MS, principals },
      dir,
      children,
    );
    const drivers = [...agentDrivers, readerDriver];
    await Promise.all(drivers.map((d) => d.ready));
    const processes = () => [
      ...set.replicas.map((r, i) => ({ name: `replica ${i + 1} (control plane)`, pids: [r.pid] })),
      { name: 'nginx (master + worker)', pids: withChildren(set.nginx.pid) },
      { name: 'PostgreSQL (all backends)', pids: withChildren(postmasterPid(pg.data)) },
      {
        name: `agent drivers (${AGENTS} agents, ${AGENT_PROCESSES} processes)`,
        pids: agentDrivers.map((d) => d.child.pid),
      },
      { name: `reader driver (${READERS} readers)`, pids: [readerDriver.child.pid] },
    ];
    for (const d of drivers) d.go();
    // The replicas' event-loop monitor starts at their first scrape: now, not at the end.
    await Promise.all(set.replicas.map((r) => replicaDiagnostics(r.url, set.caPem)));
    const watch = watchProcesses(processes, set.nginx.port, RAMP_SECONDS, SECONDS);
    const results = await Promise.all(drivers.map((d) => d.result));
    const readers = results.at(-1);
    const parts = results.slice(0, -1);
    const merge = (kind, seconds) => Recorder.merged(parts.map((part) => part[kind])).summary(seconds);
    const agents = {
      heartbeat: merge('heartbeat', SECONDS),
      poll: merge('poll', SECONDS),
      ramp: merge('ramp', RAMP_SECONDS),
      maxInFlight: parts.reduce((total, part) => total + part.maxInFlight, 0),
    };
    const usage = await watch;
    const inside = await Promise.all(set.replicas.map((r) => replicaDiagnostics(r.url, set.caPem)));
    return report({ agents, readers, usage, fleet, principals, seeded, loadBefore, inside });
  } finally {
    await set?.close();
    process.removeListener('exit', killAll);
    killAll();
    pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a replica says of its event loop (`isotyp_event_loop_delay_*`, measured from its first
 * scrape): where latency spikes come from when CPU does not explain them.
 */
async function replicaDiagnostics(url, caPem) {
  const text = await new Promise((resolve, reject) => {
    const request = https.get(`${url}/metrics`, { ca: caPem, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    });
    request.once('error', reject);
  }).catch(() => '');
  const value = (name) =>
    Number(
      text
        .split('\n')
        .find((line) => line.startsWith(`${name} `))
        ?.split(' ')[1] ?? Number.NaN,
    );
  return {
    loopP99Ms: value('isotyp_event_loop_delay_p99_seconds') * 1000,
    loopMaxMs: value('isotyp_event_loop_delay_max_seconds') * 1000,
  };
}

/** Seeds the database through bench/cp-server.mjs (the control-plane bench's data), then stops it. */
async function seed(database, password, children) {
  const child = spawn(process.execPath, [join(HERE, '..', 'cp-server.mjs'), 'control-plane', database], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CP_BENCH_ADMIN_PASSWORD: password, CP_BENCH_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    exited.then((code) => reject(new Error(`bench/cp-server.mjs exited (${code}) while seeding`)));
  });
  child.stdin.end();
  await exited;
  return JSON.parse(line).seeded;
}

// --- the enrolled fleet, kept between runs ------------------------------------------------------

/**
 * Enrolling is the slow part (the CA signs each certificate with node-forge's pure-JavaScript
 * RSA: tens of milliseconds each), so the seeded and enrolled database is kept in
 * .artifacts/bench/load/ (pg_dump) with what the next run needs to use it: the admin password
 * and CA passphrase of this throwaway database, the agents' certificates and the key pool.
 * Reused while the certificates have more than a day left; LOAD_FRESH=1 enrols anew.
 */
function cachePaths() {
  const name = `fleet-${AGENTS}-keys-${KEY_POOL}`;
  return { json: join(CACHE_DIR, `${name}.json`), dump: join(CACHE_DIR, `${name}.dump`) };
}

function restoreFleet(pg, database) {
  const paths = cachePaths();
  if (FRESH || !existsSync(paths.json) || !existsSync(paths.dump)) return undefined;
  const cached = JSON.parse(readFileSync(paths.json, 'utf8'));
  if (Date.parse(cached.validUntil) < Date.now() + 24 * 3600 * 1000) return undefined;
  execFileSync(join(pg.bin, 'pg_restore'), ['--no-owner', '-d', database, paths.dump], { stdio: 'pipe' });
  cached.fleet.cached = cached.createdAt;
  return cached;
}

function saveFleet(pg, database, { password, caPassphrase, seeded, fleet }) {
  const paths = cachePaths();
  mkdirSync(CACHE_DIR, { recursive: true });
  execFileSync(join(pg.bin, 'pg_dump'), ['-Fc', '-d', database, '-f', paths.dump], { stdio: 'pipe' });
  const validUntil = new Date(Date.now() + CERTIFICATE_HOURS * 3600 * 1000).toISOString();
  const createdAt = new Date().toISOString();
  writeFileSync(paths.json, JSON.stringify({ createdAt, validUntil, password, caPassphrase, seeded, fleet }));
}

/** A driver process (agents.mjs, readers.mjs): `ready` once set up, `go()` starts it, `result` its figures. */
function startDriver(name, spec, dir, children, label = name) {
  const file = join(dir, `${label}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const child = spawn(process.execPath, ['--max-old-space-size=8192', join(HERE, `${name}.mjs`), file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const next = () =>
    new Promise((resolve, reject) => {
      lines.once('line', resolve);
      exited.then((code) => reject(new Error(`the ${name} driver exited (${code})`)));
    });
  const ready = next();
  return {
    child,
    ready,
    go() {
      this.result = next().then((line) => JSON.parse(line));
      child.stdin.write('go\n');
    },
  };
}

// --- processes: memory, CPU, connections --------------------------------------------------------

function postmasterPid(data) {
  return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** `pid` and its children (nginx's workers, PostgreSQL's backends), as they are now. */
function withChildren(pid) {
  return [pid, ...childPids(pid)];
}

function readProc(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rssKiB, cpuSeconds: cpuSeconds(pid) };
  } catch {
    return { rssKiB: 0, cpuSeconds: 0 };
  }
}

/** Established TCP connections to `port` (nginx's front side), from /proc/net/tcp. */
function connectionsTo(port) {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(table, 'utf8').split('\n');
    for (let i = 1; i < lines.length; i++) {
      const fields = lines[i].trim().split(/\s+/);
      if (fields[3] === '01' && fields[1]?.endsWith(hexPort)) n++;
    }
  }
  return n;
}

/**
 * Samples every process group's resident memory each second (median and max over the measured
 * window), its CPU time over the measured window, and the connections open at nginx.
 */
async function watchProcesses(processes, nginxPort, rampSeconds, seconds) {
  const groups = new Map();
  const sample = () => {
    for (const group of processes()) {
      const entry = groups.get(group.name) ?? { rss: [], cpu: new Map() };
      const pids = group.pids.filter(Boolean);
      const procs = pids.map(readProc);
      entry.rss.push(procs.reduce((a, p) => a + p.rssKiB, 0) / 1024);
      // Per process, the CPU time last read: a process that has exited (a driver done a moment
      // before the last sample) keeps what it had, instead of counting as zero.
      pids.forEach((pid, i) => {
        const seen = entry.cpu.get(pid) ?? { start: undefined, last: 0 };
        seen.last = Math.max(seen.last, procs[i].cpuSeconds);
        entry.cpu.set(pid, seen);
      });
      groups.set(group.name, entry);
    }
  };
  const connections = [];
  const started = performance.now();
  await sleep(rampSeconds * 1000);
  sample();
  for (const entry of groups.values()) {
    for (const seen of entry.cpu.values()) seen.start = seen.last;
    entry.rss = [];
  }
  while (performance.now() - started < (rampSeconds + seconds) * 1000) {
    sample();
    connections.push(connectionsTo(nginxPort));
    await sleep(1000);
  }
  sample();
  const rows = [...groups].map(([name, entry]) => {
    const sorted = [...entry.rss].sort((a, b) => a - b);
    return {
      task: name,
      rssMiB: sorted[Math.floor(sorted.length / 2)] ?? 0,
      rssMaxMiB: sorted.at(-1) ?? 0,
      samples: sorted.length,
      cpuCores: [...entry.cpu.values()].reduce((a, seen) => a + seen.last - (seen.start ?? 0), 0) / seconds,
    };
  });
  const sortedConnections = [...connections].sort((a, b) => a - b);
  return {
    rows,
    connectionsMedian: sortedConnections[Math.floor(sortedConnections.length / 2)] ?? 0,
    connectionsMax: sortedConnections.at(-1) ?? 0,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- report -------------------------------------------------------------------------------------

/** `n kind, n kind` of a summary's failures. */
function kindsText(failures) {
  return Object.entries(failures ?? {})
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

/** ` (n kind, …)` of a summary's failures, or nothing. */
function failureKinds(s) {
  return s.errors > 0 ? ` (${kindsText(s.failures)})` : '';
}

function row(task, s) {
  const failed = s.errors > 0;
  return {
    task: failed ? `${task} (${s.errors} errors: ${kindsText(s.failures)})` : task,
    opsPerSec: s.perSecond,
    medianMs: s.p50Ms,
    meanMs: s.meanMs,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    samples: s.answered,
    errors: s.errors,
    errorRate: s.errorRate,
  };
}

function report({ agents, readers, usage, fleet, principals, seeded, loadBefore, inside }) {
  const classes = [
    { name: 'heartbeat', figures: agents.heartbeat },
    { name: 'reader', figures: readers.reader },
    ...(POLL ? [{ name: 'work poll', figures: agents.poll, latencyFree: true }] : []),
  ];
  const breaches = [];
  for (const c of classes) {
    if (!c.latencyFree && !(c.figures.p95Ms < SLO.p95Ms)) {
      breaches.push(`${c.name} p95 ${c.figures.p95Ms.toFixed(1)} ms ≥ ${SLO.p95Ms} ms`);
    }
    if (!(c.figures.errorRate < SLO.errorRate) || c.figures.answered === 0) {
      breaches.push(
        `${c.name} error rate ${(c.figures.errorRate * 100).toFixed(3)}% (${c.figures.errors} of ${c.figures.answered + c.figures.errors}) ≥ ${SLO.errorRate * 100}%`,
      );
    }
  }
  const agentRows = [
    row(`heartbeat POST /v1/agent/heartbeat (${AGENTS.toLocaleString('en')} agents, 30 s ± 10%)`, agents.heartbeat),
    ...(POLL ? [row('work long poll GET /v1/agent/work?wait=10 (held ~10 s by design)', agents.poll)] : []),
  ];
  const readerRows = [
    row(`all reads (${READERS.toLocaleString('en')} readers, think ${THINK_MS} ms mean)`, readers.reader),
    ...Object.entries(readers.routes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => row(`  ${name}`, s)),
  ];
  const cpu = usage.rows.map((r) => `${r.task} ${(r.cpuCores * 100).toFixed(0)}%`).join(', ');
  const replicaCpu = usage.rows.filter((r) => r.task.startsWith('replica')).reduce((a, r) => a + r.cpuCores, 0);
  const handled = agents.heartbeat.perSecond + agents.poll.perSecond + readers.reader.perSecond;
  const notes = [
    `setup: ${seeded.summary}; ${AGENTS.toLocaleString('en')} agents enrolled through nginx in ${fleet.seconds.toFixed(1)} s ` +
      `(${(AGENTS / fleet.seconds).toFixed(1)}/s at concurrency ${ENROL_CONCURRENCY}; RSA keys from a pool of ${fleet.keys.length}, ` +
      `each agent its own identity and certificate${fleet.cached ? `; enrolled ${fleet.cached}, restored from ${CACHE_DIR.replace(ROOT, '')} — LOAD_FRESH=1 enrols anew` : ''}); readers as ${principals.filter((p) => p.kind === 'user').length} signed-in viewers ` +
      `and ${principals.filter((p) => p.kind === 'ci').length} read-only CI tokens`,
    `${RAMP_SECONDS} s ramp (not measured: ${agents.ramp.answered} heartbeats/polls, ${agents.ramp.errors} errors${failureKinds(agents.ramp)}; ` +
      `${readers.ramp.answered} reads, ${readers.ramp.errors} errors), then ${SECONDS} s measured; latency is from sending to the ` +
      'whole answer read, at the client, through nginx; every non-200 and socket error counts as an error',
    `connections open at nginx's front during the measured window: median ${usage.connectionsMedian.toLocaleString('en')}, ` +
      `max ${usage.connectionsMax.toLocaleString('en')}`,
    `CPU over the measured window (100% = one core): ${cpu}`,
    `replicas together: ${(replicaCpu * 100).toFixed(0)}% of a core for ${Math.round(handled).toLocaleString('en')} requests/s ` +
      `→ ${(handled / Math.max(replicaCpu, 0.01)).toFixed(0)} requests/s per replica core at this mix`,
    `SLO (p95 < ${SLO.p95Ms} ms, error rate < ${SLO.errorRate * 100}% for heartbeats and reads${POLL ? '; errors only for work polls' : ''}): ` +
      (breaches.length === 0 ? 'met' : `NOT met — ${breaches.join('; ')}`),
    `inside the replicas over the measured window (their /metrics): ${inside
      .map(
        (d, i) =>
          `replica ${i + 1}: event-loop delay p99 ${d.loopP99Ms.toFixed(0)} ms, max ${d.loopMaxMs.toFixed(0)} ms`,
      )
      .join('; ')}`,
    `load average (1 min) ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after, on ${os.cpus().length} cores shared by ` +
      'PostgreSQL, the replicas, nginx and both drivers',
  ];
  return {
    groups: [
      { title: 'agents (mutual TLS through nginx)', rows: agentRows },
      { title: 'API readers (HTTPS through nginx, bearer tokens)', rows: readerRows },
      { title: 'resident memory over the measured window', rows: usage.rows },
    ],
    notes,
    ...(breaches.length > 0 ? { failed: `SLO breached: ${breaches.join('; ')}` } : {}),
  };
}
