import { roles } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_NAMES } from '../../control-plane-flags.js';
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
      ['users', 'create', 'ben@acme.test', '--role', 'approver', '--role', 'dba', '--password-stdin', '--json'],
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
    // The email once: as the argument (as the other users commands take the user) or with --email.
    for (const args of [
      ['--role', 'viewer'],
      ['x@acme.test', '--email', 'x@acme.test', '--role', 'viewer'],
    ]) {
      const unclear = await run(['users', 'create', ...args]);
      expect(unclear.status).toBe(64);
      expect(unclear.stderr).toContain('Give the new user’s email once');
    }
  });
});

it('offers the protocol’s roles to --role (a copy, so that --help loads no protocol code)', () => {
  expect([...ROLE_NAMES]).toEqual([...roles]);
});

describe('isotyp users grant, revoke, disable, enable', () => {
  const DORA = { email: 'dora@acme.test', password: 'dora-s3cret-passphrase' };
  const doraHome = scratchHome();
  const asDora = (args: string[], input = '') =>
    runCliAsync(args, { home: doraHome, input, env: { ISOTYP_SERVER: cp.url } });
  const roles = async () => {
    const me = await asDora(['whoami', '--json']);
    expect(me.status, me.stderr).toBe(0);
    return (JSON.parse(me.stdout).grants as { role: string; scope: { kind: string } }[])
      .map((g) => `${g.role}@${g.scope.kind}`)
      .sort();
  };

  it('grants and takes roles at a scope, and a leaver is signed out everywhere until enabled again', async () => {
    for (const args of [
      ['projects', 'create', 'shop'],
      ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'structure'],
    ]) {
      const made = await run(args);
      expect(made.status, made.stderr).toBe(0);
    }
    const created = await run(
      ['users', 'create', '--email', DORA.email, '--role', 'approver', '--role', 'viewer', '--password-stdin'],
      DORA.password,
    );
    expect(created.status, created.stderr).toBe(0);
    const login = await asDora(['login', '--org', 'acme', '--email', DORA.email, '--password-stdin'], DORA.password);
    expect(login.status, login.stderr).toBe(0);
    // Dora registers an approver key; the admin's org init signs it into keyring v1.
    for (const [who, args] of [
      [asDora, ['keys', 'generate']],
      [run, ['keys', 'generate']],
      [run, ['org', 'init']],
    ] as const) {
      const done = await who([...args]);
      expect(done.status, done.stderr).toBe(0);
    }
    const doraId = JSON.parse((await asDora(['whoami', '--json'])).stdout).userId as string;

    const granted = await run(['users', 'grant', DORA.email, '--role', 'dba', '--project', 'shop', '--env', 'prod']);
    expect(granted.status, granted.stderr).toBe(0);
    expect(granted.stdout).toContain(`Granted dba on shop/prod to ${DORA.email}.`);
    // The same grant again is the one she holds, said so, not a second copy.
    const prodDba = ['users', 'grant', DORA.email, '--role', 'dba', '--project', 'shop', '--env', 'prod'];
    const regranted = await run([...prodDba, '--json']);
    expect(regranted.status, regranted.stderr).toBe(0);
    expect(JSON.parse(regranted.stdout)).toMatchObject({ alreadyHeld: true, granted: { role: 'dba' } });
    expect((await run(prodDba)).stdout).toContain(`${DORA.email} already holds dba on shop/prod.`);
    // The signed-in session sees each change at its next request.
    expect(await roles()).toEqual(['approver@org', 'dba@environment', 'viewer@org']);
    const revoked = await run(['users', 'revoke', 'DORA@acme.test', '--role', 'viewer', '--json']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ email: DORA.email, revoked: { role: 'viewer' } });
    expect(await roles()).toEqual(['approver@org', 'dba@environment']);

    // A grant she does not hold: the code, and the grants she does hold in the hint.
    const missing = await run(['users', 'revoke', DORA.email, '--role', 'dba', '--project', 'shop']);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toContain('ISOTYP_NOT_FOUND');
    expect(missing.stderr).toContain('holds no dba on shop.');
    expect(missing.stderr).toMatch(/Hint: Their grants: (approver, dba on shop\/prod|dba on shop\/prod, approver)\./);
    const nobody = await run(['users', 'disable', 'nobody@acme.test']);
    expect(nobody.status).toBe(66);
    expect(nobody.stderr).toContain('isotyp users list');
    // Nor may the admin disable herself, the organisation's only admin.
    const self = await run(['users', 'disable', ADMIN.email]);
    expect(self.status).toBe(4);
    expect(self.stderr).toContain('ISOTYP_CONFLICT');

    const disabled = await run(['users', 'disable', DORA.email]);
    expect(disabled.status, disabled.stderr).toBe(0);
    const listed = await run(['users', 'list']);
    expect(listed.stdout).toMatch(
      /dora@acme\.test\s+usr_\S+\s+(approver, dba on shop\/prod|dba on shop\/prod, approver)\s+\[disabled\]/,
    );
    // Re-signed now, the keyring leaves her key out: agents stop counting her approvals.
    const keyring = await run(['org', 'sign-keyring', '--json']);
    expect(keyring.status, keyring.stderr).toBe(0);
    const signed = JSON.parse(keyring.stdout) as { keys: { userId: string }[]; skipped: { userId: string }[] };
    expect(signed.keys.map((k) => k.userId)).not.toContain(doraId);
    expect(signed.skipped.map((k) => k.userId)).toContain(doraId);
    const refused = await asDora(['whoami']);
    expect(refused.status).toBe(77);
    const again = await asDora(['login', '--org', 'acme', '--email', DORA.email, '--password-stdin'], DORA.password);
    expect(again.status).toBe(77);
    expect(again.stderr).not.toContain(DORA.password);

    const enabled = await run(['users', 'enable', DORA.email]);
    expect(enabled.status, enabled.stderr).toBe(0);
    const back = await asDora(['login', '--org', 'acme', '--email', DORA.email, '--password-stdin'], DORA.password);
    expect(back.status, back.stderr).toBe(0);
    expect(await roles()).toEqual(['approver@org', 'dba@environment']);
    // About twenty runs of the built CLI, one after another.
  }, 90_000);
});
