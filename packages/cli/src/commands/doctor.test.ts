import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../services/control-plane/test-support/run-cli-async.js';

/*
 * isotyp doctor against real things: a SQLite file, a running control plane, the encrypted vault
 * (no Secret Service in this environment), and an enrolled agent's state with its certificate
 * about to end.
 */
let cp: LiveControlPlane;
const vault = { ISOTYP_VAULT_KEY: Buffer.alloc(32, 7).toString('base64'), ISOTYP_SECRETS_BACKEND: 'file' };

beforeAll(async () => {
  cp = await startLiveControlPlane({
    org: 'acme',
    admin: { email: 'ana@acme.test', password: 'doctor-s3cret-passphrase' },
  });
});
afterAll(async () => {
  await cp?.close();
});

const byName = (checks: { name: string; status: string; detail: string; hint?: string }[]) =>
  Object.fromEntries(checks.map((c) => [c.name, c]));

describe('isotyp doctor', () => {
  it('passes on a healthy machine: Node, the vault, the database, the control plane', async () => {
    const home = scratchHome();
    const db = join(home, 'app.db');
    new Database(db).close();
    const result = await runCliAsync(['doctor', '--target', `sqlite:${db}`, '--server', cp.url, '--json'], {
      home,
      env: vault,
    });
    expect(result.status, result.stderr).toBe(0);
    const checks = byName(JSON.parse(result.stdout).checks);
    expect(checks.node?.status).toBe('ok');
    expect(checks.secrets).toMatchObject({ status: 'ok' });
    expect(checks.database?.status).toBe('ok');
    expect(checks['control plane']).toMatchObject({ status: 'ok' });
    expect(checks['control plane']?.detail).toContain('is ready');
    expect(checks.agent?.status).toBe('skip');
  });

  it('fails with a code and a hint for a missing database and an unreachable control plane, and exits 1', async () => {
    const home = scratchHome();
    const result = await runCliAsync(
      ['doctor', '--target', `sqlite:${join(home, 'nope.db')}`, '--server', 'http://127.0.0.1:9'],
      { home, env: vault },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/✗ database .*ISOTYP_TARGET_UNREACHABLE/);
    expect(result.stdout).toMatch(/✗ control plane +http:\/\/127\.0\.0\.1:9 could not be reached/);
    expect(result.stdout).toContain('✓ node');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('warns about an agent certificate about to end, and --strict makes that a failure', async () => {
    const home = scratchHome();
    mkdirSync(join(home, '.isotyp', 'agent'), { recursive: true });
    const soon = new Date(Date.now() + 2 * 3600_000).toISOString();
    const state = {
      agentId: 'agt_doctor',
      orgId: 'acme',
      name: 'edge-1',
      server: cp.url,
      certificateNotAfter: soon,
      caFingerprint: 'AA',
      orgRoot: null,
      enrolledAt: new Date().toISOString(),
      certificateIssuedAt: new Date().toISOString(),
    };
    writeFileSync(join(home, '.isotyp', 'agent', 'agent.json'), JSON.stringify(state));
    const relaxed = await runCliAsync(['doctor'], { home, env: vault });
    expect(relaxed.status).toBe(0);
    expect(relaxed.stdout).toMatch(/! agent +Agent agt_doctor: its certificate ends in 1 h\./);
    const strict = await runCliAsync(['doctor', '--strict'], { home, env: vault });
    expect(strict.status).toBe(1);
  });
});
