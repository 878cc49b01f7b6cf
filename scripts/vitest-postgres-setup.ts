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
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/*
 * One throwaway PostgreSQL server per test run, from the system binaries (Debian's
 * `postgresql` package; scripts/setup.sh installs it). Tests get its URL with
 * `inject('postgresUrl')` and isolate themselves with `tempDatabase()`
 * (packages/agent/src/test-support/postgres.ts). A missing server fails the run: a silently
 * skipped PostgreSQL suite would let PostgreSQL regressions through.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication, no password. */
    postgresUrl: string;
  }
}

const PG_ROOT = '/usr/lib/postgresql';

interface Server {
  bin: string;
  data: string;
  socket: string;
  asUser: string[];
}

export default async function setup(project: TestProject): Promise<() => void> {
  const bin = findBin();
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root, so as root everything runs as the `postgres` system user.
  const asUser = asRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  const data = mkdtempSync(join(dataRoot(), 'isotyp-pgdata-'));
  const socket = mkdtempSync(join(tmpdir(), 'isotyp-pgsock-'));
  const server: Server = { bin, data, socket, asUser };
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      run(server, 'pg_ctl', ['-D', data, '-m', 'immediate', 'stop'], true);
    }
    rmSync(data, { recursive: true, force: true });
    rmSync(socket, { recursive: true, force: true });
  };
  // If vitest dies without running teardown, do not leave a postmaster behind.
  process.once('exit', stop);
  try {
    if (asRoot) chownToPostgres(data, socket);
    run(server, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    const port = await startOnFreePort(server);
    started = true;
    project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  } catch (error) {
    stop();
    throw error;
  }
  return stop;
}

/**
 * Where PGDATA goes: tmpfs when there is one with room. Every test file creates databases,
 * and CREATE DATABASE copies a template: measured here, ~300 ms on disk even with fsync off,
 * ~20 ms on /dev/shm.
 */
function dataRoot(): string {
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

function findBin(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL server binaries not found under ${PG_ROOT}/*/bin: the PostgreSQL tests need a real server.\n` +
        'Install it with `apt-get install -y postgresql` (scripts/setup.sh does this), then re-run the tests.',
    );
  }
  return join(PG_ROOT, newest, 'bin');
}

function chownToPostgres(...dirs: string[]): void {
  let uid: number;
  let gid: number;
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

function run(server: Server, tool: string, args: string[], quiet = false): void {
  const [command, ...prefix] = [...server.asUser, join(server.bin, tool)];
  try {
    execFileSync(command as string, [...prefix, ...args], { stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    if (quiet) return;
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${tool} failed while starting the test PostgreSQL server:\n${stderr}`, { cause: error });
  }
}

/** A port the kernel just handed out; another process could take it, hence the retries. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

async function startOnFreePort(server: Server): Promise<number> {
  const log = join(server.data, 'server.log');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${server.socket}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      // Thousands of tables in one transaction (the 5,000-table introspection bench) need it.
      '-c max_locks_per_transaction=1024',
    ].join(' ');
    try {
      run(server, 'pg_ctl', ['-D', server.data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
  throw new Error(`The test PostgreSQL server did not start. Last lines of its log:\n${tail}`, { cause: lastError });
}
