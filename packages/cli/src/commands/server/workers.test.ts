import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../test-support/agent-daemon.js';
import { STACK_FRAME } from '../../test-support/run-cli.js';
import { type ServerProcess, startServerProcess } from '../../test-support/server-process.js';

const PASSWORD = 'a long enough passphrase';
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/**
 * `isotyp server start …args` at log level info, so the test can tell the workers apart by the
 * pid on their lines.
 */
const start = (args: string[], env: Record<string, string> = {}) =>
  startServerProcess(['--log-level', 'info', ...args], running, { ISOTYP_ADMIN_PASSWORD: PASSWORD, ...env });

/** Pids of the processes that logged `msg`, other than the primary. */
function workerPids(server: ServerProcess, msg: string): Set<number> {
  return new Set(
    server
      .lines()
      .filter((line) => line.msg === msg && line.pid !== server.child.pid)
      .map((line) => line.pid),
  );
}

/** GET over a connection of its own (node:cluster hands each new connection to the next worker). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  expect(await eventually(async () => check(), ms), `waiting for ${what}`).toBe(true);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const firstStart = (db: string) => ['--db', `sqlite:${db}`, '--org', 'acme', '--admin-email', 'admin@acme.test'];

describe('isotyp server start --workers', () => {
  it('serves from every worker, sums their metrics and rate limits, replaces a dead worker and stops them all', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const server = start([...firstStart(db), '--workers', '2']);
    const url = await server.url;
    expect(url, server.output().stderr).toBeDefined();
    expect(server.output().stderr).toContain('created organisation acme), 2 workers');
    await until(() => workerPids(server, 'control plane listening').size === 2, 'two workers listening');
    const [first, second] = [...workerPids(server, 'control plane listening')];
    // Workers get a young generation big enough for a thousand requests in flight.
    expect(readFileSync(`/proc/${first}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=32');

    // Each connection goes to the next worker: both answer, and a scrape (answered by one of
    // them) counts every request, wherever it was answered.
    for (let i = 0; i < 20; i++) expect((await get(`${url}/healthz`)).status).toBe(200);
    await until(() => workerPids(server, 'request').size === 2, 'access lines from both workers');
    const metrics = await get(`${url}/metrics`);
    expect(metrics.body).toContain('isotyp_http_requests_total{method="GET",route="/healthz",status="200"} 20');

    // One principal's limit (600 a minute by default) holds across both workers: alone, each
    // would admit 600 of its own.
    const login = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org: 'acme', email: 'admin@acme.test', password: PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const statuses: number[] = [];
    const stream = async (): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          http
            .get(
              `${url}/v1/projects`,
              { agent: keepAlive, headers: { authorization: `Bearer ${accessToken}` } },
              (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode ?? 0));
              },
            )
            .on('error', reject);
        });
        statuses.push(status);
        // ~400 requests a second in all, as steady traffic: the workers exchange counts every 200 ms.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await Promise.all([stream(), stream(), stream(), stream()]);
    keepAlive.destroy();
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // Over the limit by at most what the other worker admitted within one 200 ms exchange (~40
    // here); each worker alone would have admitted all 800.
    expect(admitted).toBeGreaterThanOrEqual(599);
    expect(admitted).toBeLessThanOrEqual(690);

    // A worker that dies is replaced; the other serves meanwhile (once the primary knows of the
    // death: a connection node:cluster hands to a worker dying that instant is lost).
    process.kill(first as number, 'SIGKILL');
    const exit = () => server.lines().find((line) => line.msg === 'control-plane worker exited; starting another');
    await until(() => exit() !== undefined, 'the exit to be noticed');
    expect(exit()).toMatchObject({ worker: first, signal: 'SIGKILL' });
    expect((await get(`${url}/healthz`)).status).toBe(200);
    await until(
      () => server.lines().some((line) => line.msg === 'replacement control-plane worker listening'),
      'the replacement',
    );
    // The replacement's own line comes through its log pipe, maybe after the primary's.
    await until(() => workerPids(server, 'control plane listening').size === 3, "the replacement's line");
    const now = workerPids(server, 'control plane listening');
    const replacement = [...now].find((pid) => pid !== first && pid !== second) as number;
    expect(alive(replacement)).toBe(true);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect([second, replacement].filter((pid) => alive(pid as number))).toEqual([]);
    // Every line came through whole: each parsed above as one JSON object.
    expect(
      server
        .output()
        .stdout.split('\n')
        .filter((line) => line !== '' && !line.startsWith('{')),
    ).toEqual([]);
  }, 60_000);

  it('replaces every worker when all die at once, rather than exiting with them', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const server = start([...firstStart(db), '--workers', '2']);
    const url = await server.url;
    expect(url, server.output().stderr).toBeDefined();
    await until(() => workerPids(server, 'control plane listening').size === 2, 'two workers listening');
    for (const pid of workerPids(server, 'control plane listening')) process.kill(pid, 'SIGKILL');
    await until(
      () => server.lines().filter((line) => line.msg === 'replacement control-plane worker listening').length === 2,
      'two replacements',
    );
    expect(server.child.exitCode).toBeNull();
    expect((await get(`${url}/healthz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('takes its workers with it when the primary is killed, and leaves an operator’s V8 flags alone', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const server = start([...firstStart(db), '--workers', '2'], { NODE_OPTIONS: '--max-semi-space-size=8' });
    expect(await server.url, server.output().stderr).toBeDefined();
    await until(() => workerPids(server, 'control plane listening').size === 2, 'two workers listening');
    // Busy workers have log lines waiting when their primary, the reader of those lines, dies.
    for (let i = 0; i < 20; i++) await get(`${(await server.url) as string}/healthz`);
    const workers = [...workerPids(server, 'control plane listening')];
    expect(readFileSync(`/proc/${workers[0]}/cmdline`, 'utf8')).not.toContain('--max-semi-space-size=32');
    server.child.kill('SIGKILL');
    await until(() => workers.every((pid) => !alive(pid)), 'the workers to exit', 10_000);
  });

  it('refuses a bad worker count, and workers on a private in-memory database, with a code and a hint', async () => {
    for (const bad of ['0', 'many', '2.5', '65']) {
      const server = start(['--db', 'sqlite::memory:', '--workers', bad]);
      expect(await server.exited).toBe(64);
      expect(server.output().stderr).toContain('--workers must be a whole number from 1 to 64, or auto');
      expect(server.output().stderr).toContain('--workers auto');
      expect(server.output().stderr).not.toMatch(STACK_FRAME);
    }
    const memory = start(['--db', 'sqlite::memory:', '--workers', '2']);
    expect(await memory.exited).toBe(64);
    expect(memory.output().stderr).toContain('an in-memory SQLite database is private to each process');
  });

  it("fails the start with a worker's own error, and leaves no worker behind", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const server = start([...firstStart(db), '--workers', '2', '--port', String(port)]);
    expect(await server.url).toBeUndefined();
    expect(await server.exited).toBe(69);
    const { stderr } = server.output();
    expect(stderr).toContain('ISOTYP_UNAVAILABLE');
    expect(stderr).toContain(`Cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    expect(stderr).toContain('pick another with --port');
    expect(stderr).not.toMatch(STACK_FRAME);
    const started = server.lines().filter((line) => line.pid !== server.child.pid);
    expect(started.map((line) => line.msg)).toContain('control-plane worker failed to start');
    for (const pid of new Set(started.map((line) => line.pid))) expect(alive(pid)).toBe(false);
    taken.close();
  });
});
