#!/usr/bin/env node
// A server for bench/control-plane.bench.mjs, in its own process so that autocannon (in the
// benchmark's process) and the server under load do not share one event loop:
//
//   node bench/cp-server.mjs control-plane <sqlite:file | postgres://…>   the control plane, seeded
//   node bench/cp-server.mjs control-plane-workers <database> <n>   the control plane in n worker processes, unseeded
//   node bench/cp-server.mjs control-plane-tls <sqlite:file>   HTTPS + agents' certificates, unseeded (+ `caPem`)
//   node bench/cp-server.mjs bare                  GET /bare → {ok:true}; GET /sized/N → N bytes of JSON
//   node bench/cp-server.mjs bare-workers <n>      the same bare app in n worker processes on one port
//   node bench/cp-server.mjs in-process <database | bare> <read | list | catalog | healthz>
//       no client and no kernel: requests handed to the server's own request listener in this
//       process; prints the user CPU a request (see inProcess()), then exits
//
// The control plane is seeded through its HTTP API, as the CLI would (see seed()), before it is
// announced: one JSON line `{"url", "seeded": {changeIds, summary}}` on stdout (just `{"url"}` for
// the unseeded modes, with `caPem` for TLS); the worker modes print it once every worker listens.
// CP_BENCH_ADMIN_PASSWORD is the password of the first admin and of every user.
// Stops on SIGTERM, SIGINT or when stdin ends: the benchmark holds stdin open, so a benchmark
// that dies takes its servers with it (and a primary that stops takes its workers).
import cluster from 'node:cluster';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { Duplex } from 'node:stream';
import { importBuilt, requireFrom } from './harness.mjs';

// The password comes from the benchmark, which signs in with it.
const ADMIN = {
  orgId: 'acme',
  orgName: 'Acme',
  email: 'admin@acme.test',
  password: process.env.CP_BENCH_ADMIN_PASSWORD,
};

const [mode, database, workerArg] = process.argv.slice(2);
/** The n of `control-plane-workers <database> <n>` and of `bare-workers <n>`. */
const workerCount = Number(mode === 'bare-workers' ? database : workerArg);
/** What the control plane is seeded with (see seed()). */
const SHAPE = { projects: 3, environments: 2, targets: 10, changes: 200 };

/** The control plane as the bench loads it: logging at info, rate limits out of reach. */
async function benchSetup() {
  const cp = await importBuilt('control-plane');
  // `isotyp server start` logs at info, one access line a request, buffered to stdout; the same
  // lines go to /dev/null here the same way, so their cost is measured but no pipe has to drain them.
  const level = process.env.CP_BENCH_LOG_LEVEL ?? 'info';
  const logger = cp.createLogger({ level, buffered: '/dev/null' });
  const config = cp.resolveConfig({
    database,
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://127.0.0.1:7300',
    // The limiter stays in the path; only its ceiling is out of reach of 1,000 connections.
    rateLimit: { perIp: 1e9, perPrincipal: 1e9, windowSeconds: 60 },
  });
  return { cp, level, logger, config };
}

async function startControlPlane() {
  const { cp, logger, config } = await benchSetup();
  const running = await cp.runControlPlane({ config, logger, firstAdmin: ADMIN });
  const seeded = await seed(new Api(running.url), await importBuilt('protocol'));
  return { url: running.url, seeded, close: () => running.close() };
}

/**
 * The same control plane as `isotyp server start --workers N` runs it, on a store seeded
 * already: this process is the primary, and the workers' access lines reach /dev/null through it.
 */
async function startControlPlaneWorkers() {
  const { cp, level, logger, config } = await benchSetup();
  const running = await cp.runControlPlaneWorkers({ config, logger, logLevel: level, workers: workerCount });
  return { url: running.url, close: () => running.close() };
}

/** The control plane over HTTPS with agents' client certificates, unseeded: the heartbeat bench enrols its own agents. */
async function startControlPlaneTls() {
  const cp = await importBuilt('control-plane');
  const logger = cp.createLogger({ level: process.env.CP_BENCH_LOG_LEVEL ?? 'info', buffered: '/dev/null' });
  const config = cp.resolveConfig({
    database,
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'https://127.0.0.1:7300',
    tls: true,
    caPassphrase: randomBytes(24).toString('base64url'),
    rateLimit: { perIp: 1e9, perPrincipal: 1e9, windowSeconds: 60 },
  });
  const running = await cp.runControlPlane({ config, logger, firstAdmin: ADMIN });
  const caPem = (await running.store.authorities.active()).certificatePem;
  return { url: running.url, caPem, close: () => running.close() };
}

/**
 * GET /bare → {ok:true}; GET /sized/N → a JSON body of exactly N bytes (written once), to compare a
 * control-plane route with the same framework serving the same number of bytes and doing nothing else.
 */
function bareApp() {
  const { Hono } = requireFrom('control-plane', 'hono');
  const bodies = new Map();
  const sized = (bytes) => {
    if (!bodies.has(bytes)) bodies.set(bytes, JSON.stringify({ pad: 'x'.repeat(Math.max(0, bytes - 10)) }));
    return bodies.get(bytes);
  };
  return new Hono()
    .get('/bare', (c) => c.json({ ok: true }))
    .get('/sized/:bytes{[0-9]{1,7}}', (c) =>
      c.body(sized(Number(c.req.param('bytes'))), 200, { 'content-type': 'application/json' }),
    );
}

/** The bare app in this process: mode `bare`, and each worker of `bare-workers`. */
function startBare() {
  const { serve } = requireFrom('control-plane', '@hono/node-server');
  const app = bareApp();
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The bare app in n node:cluster workers sharing one port, as `control-plane-workers` shares
 * its own: a baseline that gets the same processes. Each worker runs this file again (see the end
 * of it); in a cluster, port 0 gives every worker the same port.
 */
async function startBareWorkers() {
  const workers = Array.from({ length: workerCount }, () => cluster.fork());
  const ports = await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.once('listening', (address) => resolve(address.port));
          worker.once('exit', (code, signal) => reject(new Error(`a bare worker exited (${signal ?? code})`)));
        }),
    ),
  );
  return {
    url: `http://127.0.0.1:${ports[0]}`,
    // The bare app has nothing to finish: SIGTERM ends a worker at once.
    close: () =>
      Promise.all(
        workers.map(
          (worker) =>
            new Promise((done) => {
              if (worker.isDead()) return done();
              worker.once('exit', done);
              worker.process.kill('SIGTERM');
            }),
        ),
      ),
  };
}

// --- in process: the server's JavaScript alone ---------------------------------------------------

/** Requests in flight at once, each on its own socket; and how many a round of the measure holds. */
const IN_PROCESS = { sockets: 100, warmUp: 30_000, rounds: 20, perRound: 5_000 };

/**
 * What a request costs the server's JavaScript, with neither a client nor the kernel in the
 * figure (autocannon shares this machine's two cores, and waking it is paid in the server's
 * writes): the server starts as in `control-plane` (or `bare`), then its own request listener
 * is handed Node requests whose sockets swallow the answer. Prints one JSON line: the user CPU a
 * request of each round, with the least and the median — a round that falls in the garbage
 * collector's marking may cost twice another, and the least is the steadiest figure. Compare
 * routes with each other and with the bare route, not with the rates under load.
 */
async function inProcess() {
  const servers = [];
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (...args) {
    servers.push(this);
    return listen.apply(this, args);
  };
  const bare = database === 'bare';
  const route = bare ? 'bare' : workerArg;
  const server = bare ? await startBare() : await startControlPlane();
  const listener = servers.at(-1).listeners('request')[0];
  const headers = { host: '127.0.0.1', 'accept-encoding': 'gzip, deflate' };
  if (!bare) headers.authorization = `Bearer ${await new Api(server.url).login(ADMIN.email)}`;
  const paths = {
    bare: ['/bare'],
    healthz: ['/healthz'],
    read: (server.seeded?.changeIds ?? []).slice(0, 20).map((id) => `/v1/changes/${id}`),
    list: ['/v1/changes?limit=50'],
    catalog: ['/v1/targets'],
  }[route];
  const sockets = Array.from({ length: IN_PROCESS.sockets }, () => new SwallowingSocket());
  const run = async (count) => {
    for (let sent = 0; sent < count; sent += sockets.length) {
      const answers = await Promise.all(
        sockets.map((socket, i) => inject(listener, socket, paths[(sent + i) % paths.length], headers)),
      );
      const failed = answers.find((status) => status !== 200);
      if (failed !== undefined) throw new Error(`${route} answered ${failed}`);
    }
  };
  await run(IN_PROCESS.warmUp);
  const rounds = [];
  for (let i = 0; i < IN_PROCESS.rounds; i++) {
    const before = process.cpuUsage();
    await run(IN_PROCESS.perRound);
    rounds.push(Number((process.cpuUsage(before).user / IN_PROCESS.perRound).toFixed(2)));
  }
  const sorted = [...rounds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  process.stdout.write(`${JSON.stringify({ route, userMicrosPerRequest: { least: sorted[0], median }, rounds })}\n`);
  await server.close();
  process.exit(0);
}

/** A connection that takes whatever is written to it and never sends anything. */
class SwallowingSocket extends Duplex {
  remoteAddress = '127.0.0.1';
  _write(_chunk, _encoding, done) {
    done();
  }
  _read() {}
}

/** One GET through `listener` as Node's HTTP server would hand it over; resolves to the status once answered. */
function inject(listener, socket, path, headers) {
  return new Promise((resolve) => {
    const request = new http.IncomingMessage(socket);
    Object.assign(request, { method: 'GET', url: path, httpVersion: '1.1', httpVersionMajor: 1, httpVersionMinor: 1 });
    request.headers = { ...headers };
    request.rawHeaders = Object.entries(headers).flat();
    request.complete = true;
    request.push(null);
    const response = new http.ServerResponse(request);
    response.shouldKeepAlive = true;
    response.assignSocket(socket);
    response.on('finish', () => {
      response.detachSocket(socket);
      resolve(response.statusCode);
    });
    listener(request, response);
  });
}

// --- seeding through the API, as the CLI would ---------------------------------------------------

class Api {
  constructor(url) {
    this.url = url;
  }

  async ok(method, path, { token, body } = {}) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' && !path.startsWith('/v1/auth/')) headers['idempotency-key'] = randomUUID();
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }

  async login(email) {
    const body = await this.ok('POST', '/v1/auth/login', { body: { org: 'acme', email, password: ADMIN.password } });
    return body.accessToken;
  }

  async user(admin, email, roles) {
    const grants = roles.map((role) => ({ role, scope: { kind: 'org' } }));
    const user = await this.ok('POST', '/v1/users', {
      token: admin,
      body: { email, displayName: email.split('@')[0], password: ADMIN.password, grants },
    });
    return { email, userId: user.id, token: await this.login(email) };
  }

  /** A user with an approver key registered (self-signed), as `isotyp keys generate` does. */
  async person(admin, email, roles, p) {
    const person = await this.user(admin, email, roles);
    const key = p.generateKeyPair();
    const id = p.keyId(key.publicKey);
    const envelope = p.sealEnvelope({
      type: p.KEY_REGISTRATION_ENVELOPE_TYPE,
      payload: { org: 'acme', userId: person.userId, keyId: id, publicKey: p.encodePublicKey(key.publicKey) },
      secretKey: key.secretKey,
    });
    await this.ok('POST', '/v1/keys', { token: person.token, body: { envelope } });
    return { ...person, key, keyId: id, roles };
  }
}

/**
 * 3 projects × 2 environments (prod `structure`, staging `digest`) × 10 targets and 200 change
 * requests round robin over the targets: every 5th approved (every 10th then applied, so its
 * target gets a version), every 5th + 1 a data-losing major change with one of its two layers
 * approved, every 5th + 2 rejected; the rest submitted, many superseded by a later submission.
 */
async function seed(api, p) {
  const admin = await api.login('admin@acme.test');
  const author = await api.person(admin, 'author@acme.test', ['dba', 'approver'], p);
  const reviewer = await api.person(admin, 'reviewer@acme.test', ['approver'], p);
  const dba = await api.person(admin, 'dba@acme.test', ['dba', 'approver'], p);
  await api.user(admin, 'reader@acme.test', ['viewer']);

  const root = p.generateKeyPair();
  const rootPayload = { org: 'acme', keyId: p.keyId(root.publicKey), publicKey: p.encodePublicKey(root.publicKey) };
  const envelope = p.sealEnvelope({ type: p.ORG_ROOT_ENVELOPE_TYPE, payload: rootPayload, secretKey: root.secretKey });
  await api.ok('POST', '/v1/trust/root', { token: admin, body: { envelope } });
  const keys = [author, reviewer, dba].map((x) => ({
    keyId: x.keyId,
    publicKey: p.encodePublicKey(x.key.publicKey),
    userId: x.userId,
    roles: x.roles,
  }));
  const keyring = p.sealKeyring({ org: 'acme', version: 1, keys }, root.secretKey);
  await api.ok('POST', '/v1/trust/keyring', { token: admin, body: { envelope: keyring } });
  const layers = [
    { name: 'review', required: 1, role: 'approver' },
    { name: 'dba', when: 'change.dataLoss || change.bump == "major"', required: 1, role: 'dba' },
  ];
  const policy = p.sealPolicy({ org: 'acme', version: 1, layers }, root.secretKey);
  await api.ok('POST', '/v1/trust/policy', { token: admin, body: { envelope: policy } });

  const targets = [];
  for (let i = 0; i < SHAPE.projects; i++) {
    const project = await api.ok('POST', '/v1/projects', { token: admin, body: { name: `project-${i}` } });
    for (const [name, privacyMode] of [
      ['prod', 'structure'],
      ['staging', 'digest'],
    ].slice(0, SHAPE.environments)) {
      const env = await api.ok('POST', `/v1/projects/${project.id}/environments`, {
        token: admin,
        body: { name, privacyMode },
      });
      for (let t = 0; t < SHAPE.targets; t++) {
        const target = await api.ok('POST', '/v1/targets', {
          token: admin,
          body: { environmentId: env.id, name: `db-${t}`, dialect: t % 2 === 0 ? 'postgres' : 'sqlite' },
        });
        targets.push({ projectId: project.id, environmentId: env.id, targetId: target.id, mode: privacyMode });
      }
    }
  }

  const changeIds = [];
  const approve = (person, change, layer, decision = 'approve') =>
    api.ok('POST', `/v1/changes/${change.id}/approvals`, {
      token: person.token,
      body: {
        envelope: p.signApproval(
          {
            changeId: change.id,
            targetId: change.targetId,
            planDigest: change.planDigest,
            policyVersion: change.policyVersion,
            layer,
            decision,
            expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
          },
          person.key.secretKey,
        ),
      },
    });
  for (let i = 0; i < SHAPE.changes; i++) {
    const target = targets[i % targets.length];
    const dataLoss = i % 5 === 1;
    const change = await api.ok('POST', '/v1/changes', {
      token: author.token,
      body: submission(p, author, target, { dataLoss, fromDigest: target.digest }),
    });
    changeIds.push(change.id);
    if (i % 5 === 0 || dataLoss) await approve(reviewer, change, 'review');
    if (i % 5 === 2) await approve(reviewer, change, 'review', 'reject');
    if (i % 10 === 0) {
      await api.ok('POST', `/v1/changes/${change.id}/transitions`, { token: dba.token, body: { to: 'applying' } });
      await api.ok('POST', `/v1/changes/${change.id}/transitions`, {
        token: dba.token,
        body: { to: 'applied', digest: change.toDigest },
      });
      target.digest = change.toDigest;
    }
  }

  // The figures must be for routes that do the work claimed: check what they answer.
  const list = await api.ok('GET', '/v1/changes?limit=200', { token: admin });
  const catalog = await api.ok('GET', '/v1/targets', { token: admin });
  const shown = await api.ok('GET', `/v1/changes/${changeIds[1]}`, { token: admin });
  if (list.changes.length !== SHAPE.changes || catalog.targets.length !== targets.length) {
    throw new Error(`seeded ${list.changes.length} changes and ${catalog.targets.length} targets`);
  }
  if (!Array.isArray(shown.review?.layers) || shown.approvals.length !== 1) {
    throw new Error(`a change read answers no review evaluation: ${JSON.stringify(shown.review)}`);
  }
  const states = {};
  for (const c of list.changes) states[c.state] = (states[c.state] ?? 0) + 1;
  const summary = Object.entries(states)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return { changeIds, summary: `${targets.length} targets, ${SHAPE.changes} changes: ${summary}` };
}

/** The body of POST /v1/changes, signed by `author`, with a manifest as the agent filters it. */
function submission(p, author, target, { dataLoss, fromDigest }) {
  const manifest = {
    mode: target.mode,
    opCount: 2,
    actions: dataLoss ? { 'add-column': 1, 'drop-column': 1 } : { 'add-column': 1, 'create-index': 1 },
    risk: dataLoss ? 'destructive' : 'safe',
    dataLoss,
    nonTransactional: false,
    ...(target.mode === 'digest'
      ? {}
      : { objects: [{ kind: 'column', namespace: null, name: 'Album.Year', action: 'add-column' }] }),
  };
  const from = fromDigest ?? p.digest('schema', { seed: randomBytes(8).toString('hex') });
  const to = p.digest('schema', { seed: randomBytes(8).toString('hex') });
  const payload = {
    project: target.projectId,
    environment: target.environmentId,
    target: target.targetId,
    fromDigest: from,
    toDigest: to,
    planDigest: p.digest('plan', { from, to }),
    manifestDigest: p.changeManifestDigest(manifest, []),
    bump: dataLoss ? 'major' : 'minor',
    title: 'Add Album.Year',
  };
  const signed = p.sealEnvelope({ type: p.CHANGE_SUBMISSION_ENVELOPE_TYPE, payload, secretKey: author.key.secretKey });
  return { submission: signed, manifest, lint: [] };
}

// --- main ---------------------------------------------------------------------------------------

/** The server `mode` names, started; exits with the usage on arguments it cannot use. */
async function start() {
  const usable =
    mode === 'bare' ||
    (mode === 'bare-workers' && workerCount >= 1) ||
    (mode === 'control-plane-workers' && database && workerCount >= 1) ||
    (['control-plane', 'control-plane-tls'].includes(mode) && database && ADMIN.password) ||
    (mode === 'in-process' &&
      (database === 'bare' ||
        (database && ADMIN.password && ['read', 'list', 'catalog', 'healthz'].includes(workerArg))));
  if (!usable) {
    console.error(
      'usage: CP_BENCH_ADMIN_PASSWORD=… node bench/cp-server.mjs control-plane|control-plane-tls <database-url> | ' +
        'control-plane-workers <database-url> <n> | bare | bare-workers <n> | ' +
        'in-process <database-url> read|list|catalog|healthz | in-process bare',
    );
    process.exit(2);
  }
  switch (mode) {
    case 'bare':
      return startBare();
    case 'bare-workers':
      return startBareWorkers();
    case 'control-plane-tls':
      return startControlPlaneTls();
    case 'control-plane-workers':
      return startControlPlaneWorkers();
    case 'in-process':
      return inProcess();
    default:
      return startControlPlane();
  }
}

/** Announces `server` on stdout, answers the benchmark's commands and stops it when told to. */
function serve(server) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // A server still working through a backlog of requests may take long to close: not longer
    // than this, so that no server outlives its benchmark.
    setTimeout(() => process.exit(1), 15_000);
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // Commands, one a line: `profile` starts V8's CPU profiler, `stop-profile <file>` writes the
  // profile (a .cpuprofile, as --cpu-prof writes) — only the load is profiled, not start-up or
  // seeding. Each is answered `ok`.
  const session = new Session();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', async (line) => {
    const [command, file] = line.split(' ');
    if (command === 'profile') {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    } else if (command === 'stop-profile') {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    }
    process.stdout.write('ok\n');
  });
  lines.on('close', stop);
  process.stdout.write(`${JSON.stringify({ url: server.url, seeded: server.seeded, caPem: server.caPem })}\n`);
}

if (cluster.isWorker) {
  // A worker of `bare-workers`, running this file again (node:cluster's default): it only serves.
  // Its primary announces the URL and stops it; node:cluster exits a worker whose IPC channel
  // closes, so a primary that dies takes its workers with it.
  await startBare();
} else {
  serve(await start());
}
