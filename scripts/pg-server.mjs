// A throwaway PostgreSQL server from the system binaries (Debian's `postgresql` package;
// scripts/setup.sh installs it), for the test run (scripts/vitest-postgres-setup.ts) and the
// benchmarks (bench/introspect.bench.mjs). Plain JavaScript so both can import it as it is.
//
// initdb refuses to run as root, so as root every server binary runs as the `postgres`
// system user. The data directory goes on /dev/shm when it has room and is deleted by stop().
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './test-support/free-port.mjs';

const PG_ROOT = '/usr/lib/postgresql';

const DEFAULT_CONF = {
  listen_addresses: '127.0.0.1',
  // Throwaway data: no reason to wait for the disk.
  fsync: 'off',
  // Thousands of tables in one transaction (creating or dumping the 5,000-table schema of
  // bench/introspect.bench.mjs) exhaust the default 64.
  max_locks_per_transaction: 1024,
};

/**
 * The directory holding initdb, pg_ctl, pg_dump…: $PGBIN when set, else the newest
 * /usr/lib/postgresql/<major>/bin. Throws with an installation hint when there is none.
 *
 * @returns {string}
 */
export function findPgBin() {
  const fromEnv = process.env.PGBIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL server binaries not found under ${PG_ROOT}/*/bin${fromEnv ? ` nor in PGBIN=${fromEnv}` : ''}: ` +
        'the PostgreSQL tests and benchmarks need a real server.\n' +
        'Install it with `apt-get install -y postgresql` (scripts/setup.sh does this), then re-run.',
    );
  }
  return join(PG_ROOT, newest, 'bin');
}

/**
 * Starts a fresh server: initdb (`-A trust -E UTF8 --no-sync`) in a new data directory, then
 * pg_ctl start with fsync off, max_locks_per_transaction=1024 (thousands of tables in one
 * transaction need it) and listen_addresses=127.0.0.1, on `port` or a free port.
 *
 * `extraConf` adds or overrides settings (more `-c` flags), e.g. `{ autovacuum: 'off' }`. With `stopOnSignals`, SIGINT/SIGTERM/SIGHUP stop the server and
 * delete its data before the process ends (for scripts; vitest handles its own signals).
 * The server is also stopped if the process exits without calling stop().
 *
 * @param {{ port?: number, extraConf?: Record<string, string | number | boolean>, stopOnSignals?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, bin: string, data: string, stop: () => void }>}
 *   `url` is `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, no
 *   password); `stop()` is synchronous, idempotent, stops the server and deletes its data.
 */
export async function startPostgres(options = {}) {
  const bin = findPgBin();
  const asRoot = process.getuid?.() === 0;
  const server = {
    bin,
    data: mkdtempSync(join(dataRoot(), 'isotyp-pgdata-')),
    socket: mkdtempSync(join(tmpdir(), 'isotyp-pgsock-')),
    asUser: asRoot ? ['runuser', '-u', 'postgres', '--'] : [],
  };
  let started = false;
  let stopped = false;
  const signals = options.stopOnSignals ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : [];
  const onSignal = (signal) => {
    stop();
    // Die of the signal as the process would have without this handler.
    process.kill(process.pid, signal);
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stop);
    for (const signal of signals) process.removeListener(signal, onSignal);
    if (started) run(server, 'pg_ctl', ['-D', server.data, '-m', 'immediate', 'stop'], true);
    rmSync(server.data, { recursive: true, force: true });
    rmSync(server.socket, { recursive: true, force: true });
  };
  // If the process ends without calling stop(), do not leave a postmaster behind.
  process.once('exit', stop);
  for (const signal of signals) process.once(signal, onSignal);
  try {
    if (asRoot) chownToPostgres(server.data, server.socket);
    run(server, 'initdb', ['-D', server.data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    const port = await startOnPort(server, options.port, { ...DEFAULT_CONF, ...options.extraConf });
    started = true;
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, bin, data: server.data, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * Where PGDATA goes: tmpfs when there is one with room. The tests create many databases, and
 * CREATE DATABASE copies a template: measured here, ~300 ms on disk even with fsync off,
 * ~20 ms on /dev/shm.
 */
function dataRoot() {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    const { bavail, bsize } = statfsSync(shm);
    if (bavail * bsize >= 2 * 1024 ** 3) return shm;
  } catch {
    // No tmpfs here (macOS, some containers): the ordinary temporary directory will do.
  }
  return tmpdir();
}

function chownToPostgres(...dirs) {
  let uid;
  let gid;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      'Running as root, but there is no `postgres` system user to run initdb as (it refuses root).\n' +
        'Install the server with `apt-get install -y postgresql`, which creates that user.',
    );
  }
  for (const dir of dirs) chownSync(dir, uid, gid);
}

function run(server, tool, args, quiet = false) {
  const [command, ...prefix] = [...server.asUser, join(server.bin, tool)];
  try {
    execFileSync(command, [...prefix, ...args], { stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    if (quiet) return;
    throw new Error(`${tool} failed while starting a throwaway PostgreSQL server:\n${error.stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** `-c name=value` for the postmaster; pg_ctl passes -o through /bin/sh, hence the quoting. */
function settingFlags(settings) {
  return Object.entries(settings).map(([name, value]) => {
    if (!/^[a-z_][a-z0-9_.]*$/i.test(name)) throw new Error(`not a PostgreSQL setting name: ${name}`);
    return `-c '${name}=${String(value).replaceAll("'", "'\\''")}'`;
  });
}

async function startOnPort(server, fixedPort, settings) {
  const log = join(server.data, 'server.log');
  const flags = settingFlags(settings);
  let lastError;
  for (let attempt = 0; attempt < (fixedPort === undefined ? 3 : 1); attempt++) {
    const port = fixedPort ?? (await freePort());
    try {
      const options = [`-p ${port}`, `-k ${server.socket}`, ...flags].join(' ');
      run(server, 'pg_ctl', ['-D', server.data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
  throw new Error(`The throwaway PostgreSQL server did not start. Last lines of its log:\n${tail}`, {
    cause: lastError,
  });
}
