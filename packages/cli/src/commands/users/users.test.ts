import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';

const ADMIN = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };
const NEW_PASSWORD = 'ben-s3cret-passphrase';
let cp: LiveControlPlane;
const home = scratchHome();
const run = (args: string[], input = '') => runCliAsync(args, { home, input, env: { ISOTYP_SERVER: cp.url } });

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin: ADMIN });
  const login = await run(['login', '--org', 'acme', '--email', ADMIN.email, '--password-stdin'], ADMIN.password);
  expect(login.status, login.stderr).toBe(0);
});
afterAll(async () => {
  await cp.close();
});

describe('isotyp users create, list', () => {
  it('creates a user whose password works at sign-in and never shows in the output', async () => {
    const created = await run(
      [
        'users',
        'create',
        '--email',
        'ben@acme.test',
        '--role',
        'approver',
        '--role',
        'dba',
        '--password-stdin',
        '--json',
      ],
      NEW_PASSWORD,
    );
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).not.toContain(NEW_PASSWORD);
    const user = JSON.parse(created.stdout);
    expect(user.grants.map((g: { role: string }) => g.role).sort()).toEqual(['approver', 'dba']);

    const benHome = scratchHome();
    const login = await runCliAsync(['login', '--org', 'acme', '--email', 'ben@acme.test', '--password-stdin'], {
      home: benHome,
      input: NEW_PASSWORD,
      env: { ISOTYP_SERVER: cp.url },
    });
    expect(login.status, login.stderr).toBe(0);

    const listed = await run(['users', 'list']);
    expect(listed.stdout).toMatch(/ben@acme\.test\s+usr_\S+\s+approver, dba|ben@acme\.test\s+usr_\S+\s+dba, approver/);
    expect(listed.stdout).toContain('ana@acme.test');
  });

  it('refuses a duplicate email and an unknown role with a stable code', async () => {
    const duplicate = await run(['users', 'create', '--email', 'ben@acme.test', '--role', 'viewer']);
    expect(duplicate.status).toBe(4);
    expect(duplicate.stderr).toContain('ISOTYP_CONFLICT');
    const badRole = await run(['users', 'create', '--email', 'x@acme.test', '--role', 'root']);
    expect(badRole.status).toBe(64);
  });
});
