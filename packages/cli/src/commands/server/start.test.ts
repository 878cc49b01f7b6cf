import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import { STACK_FRAME } from '../../test-support/run-cli.js';
import { startServerProcess } from '../../test-support/server-process.js';

const PASSWORD = 'a long enough passphrase';
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/** `isotyp server start …args`, quiet; its URL once it says it listens. */
const start = (args: string[], env: Record<string, string> = {}) =>
  startServerProcess(['--log-level', 'silent', ...args], running, env);

describe('isotyp server start', () => {
  it('creates the first organisation on an empty store, serves the API, and stops cleanly on SIGTERM', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const first = start(['--db', `sqlite:${db}`, '--org', 'acme', '--admin-email', 'admin@acme.test'], {
      ISOTYP_ADMIN_PASSWORD: PASSWORD,
    });
    const url = await first.url;
    expect(url, first.output().stderr).toBeDefined();
    expect(first.output().stderr).toContain('created organisation acme');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const login = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org: 'acme', email: 'admin@acme.test', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const openapi = (await (await fetch(`${url}/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/v1/changes', '/v1/changes/{id}/approvals', '/v1/targets']),
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // The second start finds the organisation and needs no admin.
    const second = start(['--db', `sqlite:${db}`]);
    const again = await second.url;
    expect(again).toBeDefined();
    expect(second.output().stderr).not.toContain('created organisation');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('serves HTTPS from its own CA with --tls, writes that CA with --write-ca and prints its fingerprint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-cp-'));
    const caFile = join(dir, 'ca.pem');
    const server = start(
      [
        '--tls',
        '--write-ca',
        caFile,
        '--db',
        `sqlite:${join(dir, 'cp.db')}`,
        '--org',
        'acme',
        '--admin-email',
        'a@acme.test',
      ],
      { ISOTYP_ADMIN_PASSWORD: PASSWORD },
    );
    const url = await server.url;
    expect(url, server.output().stderr).toMatch(/^https:/);
    const pem = readFileSync(caFile, 'utf8');
    expect(pem).toContain('BEGIN CERTIFICATE');
    const fingerprint = new X509Certificate(pem).fingerprint256;
    expect(server.output().stderr).toContain(`Agent CA fingerprint (SHA-256): ${fingerprint}`);
    // A client that trusts only that CA gets an answer; the same CA the agents pin.
    const trusting = new Agent({ connect: { ca: pem } });
    const ready = await undiciFetch(`${url}/readyz`, { dispatcher: trusting });
    expect(ready.status).toBe(200);
    const ca = (await (await undiciFetch(`${url}/v1/agents/ca`, { dispatcher: trusting })).json()) as {
      fingerprint: string;
    };
    expect(ca.fingerprint).toBe(fingerprint);
    await trusting.close();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('refuses an empty store without a first admin, and a bad store URL, with a code and a hint', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const empty = start(['--db', `sqlite:${db}`]);
    expect(await empty.url).toBeUndefined();
    expect(await empty.exited).toBe(78);
    expect(empty.output().stderr).toContain('ISOTYP_CONFIG_INVALID');
    expect(empty.output().stderr).toContain('ISOTYP_ADMIN_PASSWORD');

    const bad = start(['--db', 'mysql://root:hunter2@db/isotyp']);
    expect(await bad.exited).toBe(78);
    expect(bad.output().stderr).toContain('ISOTYP_CONFIG_INVALID');
    expect(bad.output().stderr).not.toContain('hunter2');
    expect(bad.output().stderr).not.toMatch(STACK_FRAME);
  });

  it('serves the CLI, and shows neither the admin password nor a store password anywhere', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'isotyp-cp-')), 'cp.db');
    const server = start(['--db', `sqlite:${db}`, '--org', 'acme', '--admin-email', 'admin@acme.test'], {
      ISOTYP_ADMIN_PASSWORD: PASSWORD,
    });
    const url = await server.url;
    expect(url, server.output().stderr).toBeDefined();
    const home = scratchHome();
    const login = await runCliAsync(
      ['login', '--server', `${url}`, '--org', 'acme', '--email', 'admin@acme.test', '--password-stdin', '--json'],
      { home, input: PASSWORD },
    );
    expect(login.status, login.stdout).toBe(0);
    const me = await runCliAsync(['whoami', '--json'], { home });
    expect(JSON.parse(me.stdout)).toMatchObject({ kind: 'user', orgId: 'acme', email: 'admin@acme.test' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const shown = [login, me, server.output()].map((r) => `${r.stdout}${r.stderr}`).join('');
    expect(shown).not.toContain(PASSWORD);

    const unreachable = await runCliAsync(
      ['server', 'start', '--db', 'postgres://isotyp:db-secret-pw@127.0.0.1:1/cp', '--port', '0', '--json'],
      { home: scratchHome() },
    );
    expect(unreachable.status).toBe(69);
    expect(JSON.parse(unreachable.stdout).error).toMatchObject({
      code: 'ISOTYP_UNAVAILABLE',
      message: expect.stringContaining('postgres://isotyp:***@127.0.0.1:1/cp'),
    });
    expect(`${unreachable.stdout}${unreachable.stderr}`).not.toContain('db-secret-pw');
  });
});
