// Several control planes on one shared PostgreSQL database, behind nginx as a loopback load
// balancer: the deployment docs/concepts/capacity.md describes, for tests
// (scripts/test-support/replica-set.test.ts) and the load bench (bench/load/). Plain JavaScript
// so both can import it as it is; types in replica-set.d.mts.
//
// Each replica is its own Node process running the built control plane (packages/control-plane/
// dist, so `npx tsc -b` first). nginx passes TLS through at layer 4 (its `stream` module, Debian's
// libnginx-mod-stream): agents authenticate with client certificates, which only the replica
// that terminates TLS can check, so nginx must not terminate it. A replica that refuses
// connections (killed) is skipped by `proxy_next_upstream` and left alone for `fail_timeout`.
//
// Everything listens on 127.0.0.1 only. nginx and the replicas run under `setpriv --pdeathsig`
// and watch their stdin, so none outlives this process, even when it is killed; close() and the
// process's exit stop them too.
//
// This file is also the replicas' entry point: `node replica-set.mjs replica` (spec in the
// ISOTYP_REPLICA_SPEC environment variable) starts one control plane and prints one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './free-port.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const CONTROL_PLANE = join(ROOT, 'packages/control-plane/dist/index.js');
/** Longest wait for a replica to migrate, bootstrap and listen, or for nginx to listen. */
const START_TIMEOUT_MS = 60_000;
/** Longest wait for a replica to drain on close before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts `replicas` control planes on `database` and nginx in front of them.
 *
 * @example
 * const set = await startReplicaSet({ database: db.url, replicas: 2 });
 * await fetch(`${set.url}/healthz`); // (with set.caPem trusted)
 * await set.replicas[0].kill('SIGKILL');
 * await set.close();
 *
 * @param {import('./replica-set.d.mts').ReplicaSetOptions} options
 * @returns {Promise<import('./replica-set.d.mts').ReplicaSet>}
 */
export async function startReplicaSet(options) {
  const {
    database,
    replicas: count = 2,
    tls = true,
    env = {},
    config = {},
    logLevel = 'warn',
    firstAdmin = {
      orgId: 'acme',
      orgName: 'Acme',
      email: 'admin@acme.test',
      password: randomBytes(18).toString('base64url'),
    },
    nginx: nginxOptions = {},
  } = options;
  if (!database?.startsWith('postgres')) {
    throw new Error('startReplicaSet needs a PostgreSQL URL: replicas share one database, which SQLite cannot be');
  }
  if (!existsSync(CONTROL_PLANE)) throw new Error(`${CONTROL_PLANE} does not exist: run \`npx tsc -b\` first`);
  const nginxBin = findNginx();
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-replicas-'));
  const lbPort = await freePort();
  const scheme = tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${lbPort}`;
  const spec = {
    config: {
      database,
      host: '127.0.0.1',
      publicUrl: url,
      tls,
      ...(tls ? { caPassphrase: randomBytes(24).toString('base64url') } : {}),
      ...config,
    },
    firstAdmin,
    logLevel,
  };

  /** Every child this set started and has not seen exit: killed when the process exits. */
  const children = new Set();
  const killAll = () => {
    for (const child of children) child.kill(child === nginxChild ? 'SIGTERM' : 'SIGKILL');
  };
  process.once('exit', killAll);
  let nginxChild;
  const handles = [];
  try {
    const launch = (index, port) =>
      startReplica({ spec, index, port, dir, env, children }).then((started) => {
        handles[index] = started;
        return started;
      });
    // The first replica migrates the schema, creates the organisation and the agent CA; the
    // others then find them (starting them together would race for the bootstrap).
    const first = await launch(0, 0);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => launch(i + 1, 0)));
    const ports = handles.map((h) => h.port);
    nginxChild = await startNginx({ bin: nginxBin, dir, port: lbPort, upstreams: ports, options: nginxOptions });
    children.add(nginxChild);
    nginxChild.once('exit', () => children.delete(nginxChild));

    const replicaViews = handles.map((_, index) => replicaView(index));
    function replicaView(index) {
      return {
        get url() {
          return handles[index].url;
        },
        get pid() {
          return handles[index].child.pid;
        },
        get port() {
          return handles[index].port;
        },
        async kill(signal = 'SIGTERM') {
          const { child, exited } = handles[index];
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
        async restart() {
          const { child, exited, port } = handles[index];
          if (child.exitCode === null && child.signalCode === null) {
            child.stdin.end();
            await exited;
          }
          // The same port: nginx's upstream list names it.
          await launch(index, port);
        },
      };
    }

    let closed = false;
    return {
      url,
      caPem: first.caPem,
      firstAdmin,
      dir,
      replicas: replicaViews,
      nginx: {
        get pid() {
          return nginxChild.pid;
        },
        port: lbPort,
      },
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all([...handles.map((h) => stopReplica(h)), stopNginx(nginxChild)]);
        process.removeListener('exit', killAll);
        if (process.env.ISOTYP_KEEP_REPLICA_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    killAll();
    process.removeListener('exit', killAll);
    const logs = tailLogs(dir);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${error.message}${logs}`, { cause: error });
  }
}

// --- replicas ---------------------------------------------------------------------------------

/** Spawns one replica and resolves once it listens: `{ child, exited, url, port, caPem }`. */
function startReplica({ spec, index, port, dir, env, children }) {
  const logFile = join(dir, `replica-${index}.log`);
  const child = spawn(...underParent(process.execPath, [SELF, 'replica']), {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...env,
      ISOTYP_REPLICA_SPEC: JSON.stringify({ ...spec, config: { ...spec.config, port }, logFile }),
    },
  });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica ${index} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${index} exited (${code}) before listening:\n${stderr}`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      try {
        const ready = JSON.parse(line);
        resolve({ child, exited, url: ready.url, port: ready.port, caPem: ready.caPem });
      } catch {
        child.kill('SIGKILL');
        reject(new Error(`replica ${index} printed ${line}`));
      }
    });
  });
}

/** Ends the replica's stdin (it closes gracefully); killed if still running after STOP_TIMEOUT_MS. */
async function stopReplica({ child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** The replica process itself: `node replica-set.mjs replica`. */
async function runReplica() {
  const spec = JSON.parse(process.env.ISOTYP_REPLICA_SPEC ?? '');
  const cp = await import(pathToFileURL(CONTROL_PLANE).href);
  const logger = cp.createLogger({ level: spec.logLevel, buffered: spec.logFile });
  const config = cp.resolveConfig(spec.config);
  const running = await cp.runControlPlane({ config, logger, firstAdmin: spec.firstAdmin });
  const caPem = config.tls ? (await running.store.authorities.active())?.certificatePem : undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), STOP_TIMEOUT_MS).unref();
    await running.close();
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The harness holds stdin open: when it ends (close(), or the harness died), so does the replica.
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url: running.url, port: running.port, pid: process.pid, caPem })}\n`);
}

// --- nginx ------------------------------------------------------------------------------------

function findNginx() {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'nginx not found: the replica set puts it in front of the control planes.\n' +
      'Install it with `apt-get install -y --no-install-recommends nginx libnginx-mod-stream` (scripts/setup.sh does this).',
  );
}

/** The `load_module` line nginx needs for `stream`: none when built in, the .so when dynamic (Debian). */
function streamModule(bin) {
  // nginx -V prints its build options on stderr.
  const version = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const info = `${version.stdout ?? ''}${version.stderr ?? ''}`;
  if (/--with-stream(?:\s|$)/.test(info)) return '';
  if (!/--with-stream=dynamic/.test(info)) throw new Error(`${bin} was built without the stream module`);
  const modules = /--modules-path=(\S+)/.exec(info)?.[1] ?? '/usr/lib/nginx/modules';
  const file = join(modules, 'ngx_stream_module.so');
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: nginx needs its stream module to pass TLS through.\n` +
        'Install it with `apt-get install -y --no-install-recommends libnginx-mod-stream` (scripts/setup.sh does this).',
    );
  }
  return `load_module ${file};`;
}

/**
 * The configuration: one worker, TCP passthrough to the replicas round robin, a replica that
 * failed `maxFails` connections skipped for `failTimeoutSeconds`. Every path is in `dir`.
 */
function nginxConfig({ module, dir, port, upstreams, options }) {
  const {
    workerConnections = 4096,
    workerProcesses = 1,
    accessLog = true,
    maxFails = 1,
    failTimeoutSeconds = 2,
    connectTimeoutSeconds = 2,
    backlog = 4096,
  } = options;
  const servers = upstreams.map(
    (p) => `    server 127.0.0.1:${p} max_fails=${maxFails} fail_timeout=${failTimeoutSeconds}s;`,
  );
  return `${module}
worker_processes ${workerProcesses};
# A proxied connection holds two descriptors (client and upstream). Without CAP_SYS_RESOURCE
# nginx cannot go past the hard limit (it logs an alert and keeps it): more workers then, each
# has a limit of its own (reuseport shares the connections out between them).
worker_rlimit_nofile ${workerConnections * 2 + 64};
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log notice;
events {
  worker_connections ${workerConnections};
}
stream {
  log_format replicas '$remote_addr:$remote_port [$time_local] $status $bytes_sent $bytes_received $session_time $upstream_addr';
  ${accessLog ? `access_log ${dir}/nginx-access.log replicas buffer=64k flush=1s;` : 'access_log off;'}
  upstream control_plane {
${servers.join('\n')}
  }
  server {
    listen 127.0.0.1:${port} backlog=${backlog}${workerProcesses > 1 ? ' reuseport' : ''};
    proxy_pass control_plane;
    # A killed replica refuses at once (the next one is tried whatever max_fails says); one
    # that does not accept in time is given up on.
    proxy_connect_timeout ${connectTimeoutSeconds}s;
    proxy_next_upstream on;
    proxy_next_upstream_tries 0;
    # Idle connections (agents between heartbeats) are the replicas' to close, not nginx's.
    proxy_timeout 10m;
  }
}
`;
}

async function startNginx({ bin, dir, port, upstreams, options }) {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ module: streamModule(bin), dir, port, upstreams, options }));
  // -e: the error log from the first line on (Debian's default is stderr, harmless, but a
  // compiled-in /var/log path would not be).
  const child = spawn(
    ...underParent(bin, ['-p', dir, '-c', conf, '-e', join(dir, 'nginx-error.log'), '-g', 'daemon off;']),
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.exited = exited;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before listening:\n${stderr}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

/** SIGTERM: nginx's fast shutdown, which stops its workers too; SIGKILL if it lingers. */
async function stopNginx(child) {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(timer);
}

// --- helpers ----------------------------------------------------------------------------------

/**
 * `command args` so that it gets SIGTERM when this process dies, however it dies:
 * `setpriv --pdeathsig` (util-linux) execs it with the parent-death signal set.
 */
function underParent(command, args) {
  return existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args]]
    : [command, args];
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The last lines of every log in `dir`, for an error message. */
function tailLogs(dir) {
  const parts = [];
  for (const name of ['nginx-error.log', 'replica-0.log', 'replica-1.log']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const tail = readFileSync(file, 'utf8').trim().split('\n').slice(-10).join('\n');
    if (tail) parts.push(`\n--- ${name}\n${tail}`);
  }
  return parts.join('');
}

if (process.argv[1] === SELF && process.argv[2] === 'replica') {
  runReplica().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
