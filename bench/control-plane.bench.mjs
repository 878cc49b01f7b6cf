// The control plane's read routes under 1,000 concurrent connections (issue 4): autocannon on
// the change list, a change read (with its review evaluated) and the target catalog, side by
// side with a bare Hono route in the same run, on the SQLite store and on PostgreSQL. Goals:
// p95 < 150 ms and at least half the bare route's requests/s. Requests carry what the CLI's fetch
// sends (Accept-Encoding: gzip, deflate), so large answers go compressed, as they do to the CLI
// and the console. Beside each route runs a reference: the bare route sending a body of the
// route's (mean) size on the wire, so the report shows how much of a route's cost is the bytes it
// answers with rather than the control plane's own work.
//
// The control plane runs in one process and, beside it, in WORKERS processes sharing one port
// (`isotyp server start --workers N`, node:cluster) on the same store; so that the comparison
// stays fair, the bare route runs in one process and in WORKERS workers too, and each
// configuration's goal is checked against the faster of the two bare routes. Each row also
// shows the servers' CPU time per answer (see cpuMs()).
//
// Servers run in child processes (bench/cp-server.mjs) and autocannon here, so load generator
// and server do not share an event loop. Each store gets a fresh control plane, seeded through
// the HTTP API as the CLI would (users, keys, org trust, 3 projects × 2 environments × 10
// targets, 200 signed change requests, approvals, applies); the workers serve the same store,
// unseeded. Every route is warmed up, then measured in ROUNDS runs alternating forwards and
// backwards (bare, bare in workers, list, read, catalog, the same three in workers, references;
// then the reverse; …) so a busy machine weighs on all of them alike. Any failed request (see
// load()) fails the benchmark: figures of error answers are worthless. They are still printed,
// marked FAILED, to show how far off the route is.
//
// CP_BENCH_SECONDS (default 10 a route), CP_BENCH_ROUNDS (2), CP_BENCH_WARMUP_SECONDS (3),
// CP_BENCH_CONNECTIONS (1,000), CP_BENCH_WAIT_SECONDS (60) change the load; CP_BENCH_WORKERS
// (default os.availableParallelism()) is the number of worker processes, and at 1 or less the
// workers rows are left out; CP_BENCH_VERBOSE=1 prints each run. CP_BENCH_PROFILE=1 profiles the
// single-process control plane during the first run of each of its routes (V8's CPU profiler,
// into .artifacts/bench/control-plane/) and adds the top costs to the notes; the profiler slows
// those runs down. Starts its own throwaway PostgreSQL and
// removes it at the end, also on error or Ctrl-C.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../scripts/pg-server.mjs';
import { CLOCK_TICKS, childPids, cpuSeconds, ROOT, runSql, withDatabase } from './harness.mjs';

export const title = 'control plane: read routes at 1,000 connections beside a bare Hono route';

const CONNECTIONS = Number(process.env.CP_BENCH_CONNECTIONS ?? 1000);
const SECONDS = Number(process.env.CP_BENCH_SECONDS ?? 10);
const ROUNDS = Math.max(1, Number(process.env.CP_BENCH_ROUNDS ?? 2));
const WARMUP_SECONDS = Number(process.env.CP_BENCH_WARMUP_SECONDS ?? 3);
const WORKERS = Number(process.env.CP_BENCH_WORKERS ?? os.availableParallelism());
const PROFILE = process.env.CP_BENCH_PROFILE === '1';
const PROFILE_DIR = `${ROOT}.artifacts/bench/control-plane`;
const SERVER = fileURLToPath(new URL('./cp-server.mjs', import.meta.url));
/** Change reads cycle through the first 20 changes: every seeded state and approval pattern, twice. */
const READ_IDS = 20;
/** The longest wait for a server to drain its backlog after a run. */
const TIMEOUT_SECONDS = 300;
/** The longest wait, after a run, for the answers to the requests sent during it. */
const WAIT_SECONDS = Number(process.env.CP_BENCH_WAIT_SECONDS ?? 60);
const GOAL = { p95Ms: 150, ofBare: 0.5 };
/** What the CLI's fetch (Node's undici) sends with every request, and so what a reader's request carries. */
const CLIENT_HEADERS = { 'accept-encoding': 'gzip, deflate' };
const PASSWORD = randomBytes(18).toString('base64url');
/** CP_BENCH_VERBOSE=1: a line on stderr at each step of a slice. */
const progress = process.env.CP_BENCH_VERBOSE === '1' ? (line) => console.error(`  [cp-bench] ${line}`) : () => {};

export default async function bench() {
  if (!Number.isInteger(WORKERS)) throw new Error(`CP_BENCH_WORKERS must be a whole number, not ${WORKERS}`);
  const autocannon = createRequire(`${ROOT}package.json`)('autocannon');
  for (const pkg of ['protocol', 'control-plane']) {
    if (!existsSync(`${ROOT}packages/${pkg}/dist/index.js`)) {
      throw new Error(`packages/${pkg}/dist/index.js does not exist: run \`pnpm build\` first`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-cp-bench-'));
  const servers = [];
  const killAll = () => {
    for (const s of servers) s.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const loadBefore = os.loadavg()[0];
  const pg = await startPostgres({ stopOnSignals: true });
  const groups = [];
  const failed = [];
  const notes = [
    `${CONNECTIONS} connections, pipelining 1, bearer token and Accept-Encoding: gzip, deflate (as the CLI's fetch sends); per route ${ROUNDS} alternating runs of ` +
      `${SECONDS / ROUNDS} s (connection set-up included, as autocannon -c -d) after a ${WARMUP_SECONDS} s warm-up ` +
      `at ${Math.min(50, CONNECTIONS)} connections; median/p95/p99 (nearest rank) over every request sent during the runs, each waited for ` +
      `up to ${WAIT_SECONDS} s after the run; req/s = answers / run time; any non-2xx, socket error, connection ` +
      'closed by the server or unanswered request fails the bench',
    'rate limits raised to 10^9 a minute: both limiters stay in the path, only their ceiling is out of reach; ' +
      'access log at info, buffered, to /dev/null (the lines are built and written, as `isotyp server start` writes them to stdout)',
    ...(WORKERS > 1
      ? [
          `"of bare" is a share of the req/s of the bare route in 1 process (each table's first row); "of best bare" ` +
            `a share of the faster of the two bare routes (1 process, or ${WORKERS} workers): the goal of each ` +
            `configuration (1 process; ${WORKERS} workers) is checked against the latter`,
        ]
      : []),
    `"server CPU/req": user + system CPU time of the route's server during its runs (with workers, the primary's ` +
      `and every worker's), read from /proc/<pid>/stat in ticks of 1/${CLOCK_TICKS} s, over its answers; ` +
      "PostgreSQL's own CPU is not in it; the requests still in flight when a run ends add a little",
  ];
  try {
    const bare = await startServer(['bare'], servers);
    const bareWorkers = WORKERS > 1 ? await startServer(['bare-workers', String(WORKERS)], servers) : undefined;
    const inWorkers = `, ${WORKERS} workers`;
    await runSql(createRequire(`${ROOT}package.json`)('pg'), pg.url, 'CREATE DATABASE cp TEMPLATE template0');
    const stores = [
      { name: 'SQLite', database: `sqlite:${join(dir, 'cp.db')}` },
      { name: 'PostgreSQL', database: withDatabase(pg.url, 'cp') },
    ];
    for (const store of stores) {
      const cp = await startServer(['control-plane', store.database], servers);
      // The seeded store, served by workers too: tokens signed in on either work on both.
      const cpWorkers =
        WORKERS > 1
          ? await startServer(['control-plane-workers', store.database, String(WORKERS)], servers)
          : undefined;
      const seeded = cp.seeded;
      const controlPlane = (server, suffix, config) =>
        [
          { name: `change list GET /v1/changes?limit=50${suffix}`, paths: ['/v1/changes?limit=50'] },
          {
            name: `change read GET /v1/changes/{id}${suffix}`,
            paths: seeded.changeIds.slice(0, READ_IDS).map((id) => `/v1/changes/${id}`),
          },
          { name: `catalog GET /v1/targets${suffix}`, paths: ['/v1/targets'] },
        ].map((route) => ({ ...route, ...on(server), auth: true, config }));
      const routes = [
        { name: 'bare Hono route GET /bare', ...on(bare), paths: ['/bare'], bare: '1 process' },
        ...(bareWorkers
          ? [
              {
                name: `bare Hono route GET /bare${inWorkers}`,
                ...on(bareWorkers),
                paths: ['/bare'],
                bare: `${WORKERS} workers`,
              },
            ]
          : []),
        ...controlPlane(cp, '', '1 process').map((route) => ({ ...route, profile: true })),
        ...(cpWorkers ? controlPlane(cpWorkers, inWorkers, `${WORKERS} workers`) : []),
      ];
      // The same framework sending the same number of bytes per answer, doing nothing else: what
      // of a route's cost is the size of its answer rather than the control plane's work. Only for
      // the single process's routes: the workers send the same answers.
      const reader = await signIn(cp.url, 'reader@acme.test');
      for (const route of routes.filter((r) => r.profile)) {
        const bytes = Math.round(await meanBodyBytes(cp.url, route.paths, reader));
        route.sameSize = routes.length;
        routes.push({
          name: `bare Hono route, same ${bytes.toLocaleString('en')} B body`,
          ...on(bare),
          paths: [`/sized/${bytes}`],
          reference: true,
        });
      }
      // With CP_BENCH_PROFILE=1, the first run of each single-process control-plane route is
      // profiled on its own (profiling a primary would show only its supervising).
      const profiles = [];
      const profiler = PROFILE && {
        start: () => cp.command('profile'),
        stop: async (route) => {
          mkdirSync(PROFILE_DIR, { recursive: true });
          const label = `${store.name} ${route.name.split(' GET')[0]}`;
          const file = join(PROFILE_DIR, `${label.toLowerCase().replaceAll(' ', '-')}.cpuprofile`);
          await cp.command(`stop-profile ${file}`);
          profiles.push({ file, label });
        },
      };
      // Access tokens live 15 minutes at most: a fresh one for every run.
      const rows = await measure(autocannon, routes, () => signIn(cp.url, 'reader@acme.test'), profiler);
      await cp.stop();
      await cpWorkers?.stop();
      groups.push({ title: `${store.name} store (${seeded.summary})`, rows });
      notes.push(...verdicts(store.name, routes, rows));
      for (const row of rows) if (row.failed) failed.push(`${store.name} ${short(row.task)}: ${row.failure}`);
      for (const { file, label } of profiles) notes.push(...topCosts(file, label));
    }
    if (failed.length > 0) {
      notes.push(
        'FAILED rows: requests unanswered when the wait ended count at their wait so far, so their ' +
          'percentiles are lower bounds; socket errors are connections reset by the server',
      );
    }
    notes.push(
      `load average (1 min) ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after, on ` +
        `${os.cpus().length} cores shared by the servers, PostgreSQL and autocannon (one core at most)`,
    );
    return {
      groups,
      notes,
      // Figures of error answers are worthless: the run fails, its figures shown only to say how far off.
      ...(failed.length > 0 ? { failed: failed.join('; ') } : {}),
    };
  } finally {
    // A copy: stop() takes each server out of `servers`.
    for (const s of [...servers]) await s.stop();
    process.removeListener('exit', killAll);
    pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A warm-up of every route (JIT; at 50 connections, so that a slow route does not take minutes),
 * then ROUNDS slices of each, forwards then backwards (bare, list, read, catalog; catalog, read,
 * …) so a busy machine weighs on all alike; one row per route, its slices merged.
 */
async function measure(autocannon, routes, signIn, profiler) {
  for (const route of routes) {
    const connections = Math.min(50, CONNECTIONS);
    await load(autocannon, route, route.auth ? await signIn() : undefined, { connections, seconds: WARMUP_SECONDS });
  }
  const merged = routes.map(() => ({ latencies: [], answers: 0, seconds: 0, cpuMs: 0, failures: {} }));
  for (let round = 0; round < ROUNDS; round++) {
    const order = routes.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      globalThis.gc?.();
      const token = routes[i].auth ? await signIn() : undefined;
      const profiled = profiler && round === 0 && routes[i].profile;
      if (profiled) await profiler.start();
      const slice = await load(autocannon, routes[i], token);
      if (profiled) await profiler.stop(routes[i]);
      const m = merged[i];
      m.latencies.push(slice.latencies);
      m.answers += slice.answers;
      m.seconds += slice.seconds;
      m.cpuMs += slice.cpuMs;
      for (const [kind, n] of Object.entries(slice.failures)) m.failures[kind] = (m.failures[kind] ?? 0) + n;
    }
  }
  const rows = routes.map((route, i) => {
    const m = merged[i];
    const all = Float64Array.from(m.latencies.flatMap((a) => Array.from(a))).sort();
    const at = (p) => all[Math.min(all.length - 1, Math.max(0, Math.ceil((p / 100) * all.length) - 1))];
    const failed = Object.entries(m.failures).filter(([, n]) => n > 0);
    return {
      task: failed.length === 0 ? route.name : `${route.name} FAILED`,
      failure: failed.map(([k, n]) => `${n} ${k}`).join(', '),
      opsPerSec: m.answers / m.seconds,
      medianMs: at(50),
      meanMs: all.reduce((a, b) => a + b, 0) / all.length,
      p95Ms: at(95),
      p99Ms: at(99),
      samples: all.length,
      // NaN off Linux (no /proc): the column is left out.
      ...(Number.isNaN(m.cpuMs) ? {} : { serverCpuMs: m.cpuMs / m.answers }),
      failures: m.failures,
      failed: failed.length > 0,
    };
  });
  const bare = rows[0].opsPerSec;
  const bestBare = Math.max(...rows.filter((_, i) => routes[i].bare).map((row) => row.opsPerSec));
  for (const row of rows) row.ofBare = row.opsPerSec / bare;
  // With one bare route only, "of best bare" would repeat "of bare".
  if (rows.length > 1 && routes[1].bare) for (const row of rows) row.ofBestBare = row.opsPerSec / bestBare;
  routes.forEach((route, i) => {
    if (route.sameSize !== undefined) rows[i].ofSameSize = rows[i].opsPerSec / rows[route.sameSize].opsPerSec;
    if (route.reference) rows[i].reference = true;
  });
  return rows;
}

/**
 * One autocannon run of `seconds` at `connections`, as `autocannon -c N -d S` measures it — the
 * connections opened at the start included — except that every request sent within those
 * seconds is waited for, up to WAIT_SECONDS more, rather than dropped when the clock stops: a
 * slow route answers in waves (the requests read together are served together), and cutting
 * the run at S would keep only the fast answers. Latencies come from autocannon's `response`
 * event (its histogram has no p95); requests/s are all answers over the whole run.
 *
 * Failures, counted over the whole run: non-2xx answers, socket errors, autocannon timeouts,
 * connections the server closed with a request in flight (autocannon reconnects silently; the
 * connection changing under a client shows it), and requests still unanswered WAIT_SECONDS after
 * the run — their wait so far goes into the percentiles, which are then lower bounds.
 */
async function load(autocannon, route, token, { connections = CONNECTIONS, seconds = SECONDS / ROUNDS } = {}) {
  const latencies = [];
  const inFlightSince = new Map(); // client → when its request now in flight was sent
  const answeredAfter = new Set();
  const conns = new Map();
  let answers = 0;
  let reconnects = 0;
  // Autocannon goes on answering until its next one-second tick after stop(): what comes after
  // `over` is not counted.
  let over = false;
  let finished;
  const done = new Promise((resolve) => {
    finished = () => {
      over = true;
      resolve();
    };
  });
  const cpuBefore = cpuMs(route.pid);
  const instance = autocannon({
    url: route.url,
    connections,
    pipelining: 1,
    // Ended by stop() below; autocannon's own timeout is beyond the wait, so a slow answer is
    // measured, not turned into an error.
    duration: 3600,
    timeout: seconds + WAIT_SECONDS + 60,
    headers: { ...CLIENT_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    // Each connection cycles through the paths. Prebuilt: a setupRequest() function would
    // rebuild every request and slow the load generator down (by ~40% on the bare route).
    requests: route.paths.map((path) => ({ method: 'GET', path })),
  });
  const started = performance.now();
  const closesAt = started + seconds * 1000;
  const errorCodes = new Set();
  instance.on('reqError', (error) => errorCodes.add(error.code ?? error.message));
  instance.on('response', (client, _status, _bytes, ms) => {
    if (over) return;
    const now = performance.now();
    answers++;
    if (now - ms < closesAt) latencies.push(ms);
    const conn = conns.get(client);
    if (conn !== client.conn) {
      if (conn !== undefined) reconnects++;
      conns.set(client, client.conn);
    }
    // One request at a time a connection: answered now, it sends its next one now.
    if (now < closesAt) inFlightSince.set(client, now);
    else {
      answeredAfter.add(client);
      if (answeredAfter.size === connections) finished();
    }
  });
  const guard = setTimeout(finished, (seconds + WAIT_SECONDS) * 1000);
  await done;
  clearTimeout(guard);
  const stopped = performance.now();
  const cpuAfter = cpuMs(route.pid);
  instance.stop();
  const result = await instance;
  // Requests sent within the run and still unanswered: what they have waited so far.
  let unanswered = 0;
  for (const [client, since] of inFlightSince) {
    if (!answeredAfter.has(client)) {
      unanswered++;
      latencies.push(stopped - since);
    }
  }
  // Connections never answered at all have waited since the start.
  for (
    let i = inFlightSince.size + answeredAfter.size - countBoth(inFlightSince, answeredAfter);
    i < connections;
    i++
  ) {
    unanswered++;
    latencies.push(stopped - started);
  }
  const failures = {
    'non-2xx': result.non2xx,
    [`socket errors${errorCodes.size ? ` (${[...errorCodes].join(', ')})` : ''}`]: result.errors - result.timeouts,
    timeouts: result.timeouts,
    'closed by the server': reconnects,
    [`unanswered after ${WAIT_SECONDS} s`]: unanswered,
  };
  progress(
    `${route.name}: ${latencies.length} requests in ${seconds} s, ${answers} answers; ${JSON.stringify(failures)}`,
  );
  // The requests still queued in the server when autocannon hung up would slow the next run.
  await settle(route, token);
  return {
    latencies: Float64Array.from(latencies),
    answers,
    seconds: (stopped - started) / 1000,
    cpuMs: cpuAfter - cpuBefore,
    failures,
  };
}

/** The mean size of the answers to `paths`, as sent (one request each). */
async function meanBodyBytes(url, paths, token) {
  let total = 0;
  for (const path of paths) {
    total += await wireBytes(`${url}${path}`, { ...CLIENT_HEADERS, authorization: `Bearer ${token}` });
  }
  return total / paths.length;
}

/** The length of a 2xx answer's body as sent (compressed when it was): fetch would decompress it. */
function wireBytes(url, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
      });
      res.on('end', () =>
        res.statusCode < 300 ? resolve(bytes) : reject(new Error(`GET ${url} → ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** How many keys of `map` are also in `set`. */
function countBoth(map, set) {
  let n = 0;
  for (const key of map.keys()) if (set.has(key)) n++;
  return n;
}

/**
 * Waits until the route answers within 250 ms twice in a row: the server's backlog is gone (a
 * backlog of 1,000 requests takes seconds). The route itself, with its token, so that requests
 * waiting for a pooled database connection count too.
 */
async function settle(route, token) {
  const deadline = performance.now() + TIMEOUT_SECONDS * 1000;
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  let fast = 0;
  while (fast < 2) {
    if (performance.now() > deadline) throw new Error(`${route.name} still slow ${TIMEOUT_SECONDS} s after the load`);
    const started = performance.now();
    try {
      const response = await fetch(`${route.url}${route.paths[0]}`, { headers, signal: AbortSignal.timeout(60_000) });
      await response.arrayBuffer();
      fast = response.ok && performance.now() - started < 250 ? fast + 1 : 0;
    } catch {
      // A connection the overloaded server reset, or a 60 s wait: not settled yet.
      fast = 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  progress(`${route.name}: settled`);
}

/**
 * The goal per configuration (1 process; N workers): met when each of its three routes answers
 * without failure, at p95 < 150 ms and at least half the best bare route's req/s.
 */
function verdicts(store, routes, rows) {
  const bare = routes.map((route, i) => ({ in: route.bare, row: rows[i] })).filter((b) => b.in !== undefined);
  const best = bare.reduce((a, b) => (b.row.opsPerSec > a.row.opsPerSec ? b : a));
  const reqs = Math.round(best.row.opsPerSec).toLocaleString('en');
  const which = bare.length > 1 ? 'the faster bare route, the one in' : 'the bare route in';
  const against = `${which} ${best.in} (${reqs} req/s)`;
  const configs = [...new Set(routes.map((route) => route.config).filter((config) => config !== undefined))];
  return configs.map((config) => {
    const mine = rows.filter((_, i) => routes[i].config === config);
    const parts = mine.map((r) => {
      const share = r.ofBestBare ?? r.ofBare;
      return (
        `${short(r.task).split(',')[0]} p95 ${(r.p95Ms / 1000).toFixed(2)} s, ${(share * 100).toFixed(1)}%` +
        (r.ofSameSize === undefined
          ? ''
          : ` (${(r.ofSameSize * 100).toFixed(0)}% of a bare route sending the same bytes)`) +
        (r.serverCpuMs === undefined ? '' : `, ${Math.round(r.serverCpuMs * 1000)} µs server CPU a request`) +
        (r.failed ? ' (failed)' : '')
      );
    });
    const met = mine.every((r) => !r.failed && r.p95Ms < GOAL.p95Ms && (r.ofBestBare ?? r.ofBare) >= GOAL.ofBare);
    return (
      `${store}, ${config}, shares of the req/s of ${against}: ${parts.join('; ')} — goal (no failure, ` +
      `p95 < ${GOAL.p95Ms} ms, ≥ ${GOAL.ofBare * 100}%) ${met ? 'met' : 'NOT met'}`
    );
  });
}

/** A row's name without its path or FAILED: `catalog GET /v1/targets, 2 workers` → `catalog, 2 workers`. */
function short(task) {
  return task.replace(/ GET [^\s,]+/, '').replace(/ FAILED$/, '');
}

// --- servers ----------------------------------------------------------------------------------

/** Where a route's requests go, and whose CPU time they cost. */
function on(server) {
  return { url: server.url, pid: server.child.pid };
}

/**
 * CPU time (user + system, ms) used so far by process `pid` and its descendants (a primary's
 * workers), from /proc; NaN where there is no /proc. A worker that dies mid-run takes its CPU
 * time with it, but its connections reset then, which fails the run anyway.
 */
function cpuMs(pid) {
  if (!existsSync('/proc/self/stat')) return Number.NaN;
  let seconds = 0;
  const visit = (id) => {
    try {
      seconds += cpuSeconds(id);
    } catch {
      // Exited since it was found.
      return;
    }
    for (const child of childPids(id)) visit(child);
  };
  visit(pid);
  return seconds * 1000;
}

/**
 * Starts bench/cp-server.mjs with `args`; resolves once it prints its URL. `command(line)` sends
 * it a line on stdin (`profile`, `stop-profile <file>`) and resolves on its `ok`.
 */
function startServer(args, servers) {
  const child = spawn(process.execPath, [SERVER, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CP_BENCH_ADMIN_PASSWORD: PASSWORD },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const waiting = [];
  const server = {
    child,
    command: (line) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${line}\n`);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      servers.splice(servers.indexOf(server), 1);
    },
  };
  servers.push(server);
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      text += chunk;
      let nl = text.indexOf('\n');
      while (nl >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        nl = text.indexOf('\n');
        if (server.url === undefined) {
          const ready = JSON.parse(line);
          server.url = ready.url;
          server.seeded = ready.seeded;
          resolve(server);
        } else if (line === 'ok') {
          waiting.shift()?.();
        }
      }
    });
    exited.then((code) => reject(new Error(`cp-server.mjs ${args[0]} exited (${code}) before listening`)));
  });
}

/** An access token for `email` (the seeded users share the benchmark's password). */
async function signIn(url, email) {
  const response = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: 'acme', email, password: PASSWORD }),
  });
  if (response.status !== 200) throw new Error(`sign-in as ${email} → ${response.status} ${await response.text()}`);
  return (await response.json()).accessToken;
}

// --- profile summary ------------------------------------------------------------------------------

/** Self time (idle excluded) of a CPU profile by function and by package, as note lines. */
function topCosts(file, store) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const self = new Map();
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]);
    // Idle time is the event loop waiting (between slices, or on the database): not a cost.
    if (node.callFrame.functionName === '(idle)') continue;
    self.set(node, (self.get(node) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const pkgs = new Map();
  for (const [node, us] of self) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = area(url);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    pkgs.set(where, (pkgs.get(where) ?? 0) + us);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${((us / total) * 100).toFixed(1)}% ${k}`)
      .join('; ');
  return [
    `${store} profile (${(total / 1e6).toFixed(1)} s busy, ${file.replace(ROOT, '')}), self time by area: ${top(pkgs, 6)}`,
    `${store} profile, top functions: ${top(fns, 8)}`,
  ];
}

/** `node_modules/.pnpm/x@1/node_modules/x/lib/y.js` → `x`; workspace dist files keep their path. */
function area(url) {
  if (!url) return '(native/vm)';
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const rest = modules.at(-1).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const pkg = /packages\/([^/]+)\/dist\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}`;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}
