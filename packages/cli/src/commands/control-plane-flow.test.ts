import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acmePeople, everyone, org, password, people } from '../services/control-plane/test-support/acme-people.js';
import { runCliAsync, scratchHome } from '../services/control-plane/test-support/run-cli-async.js';

/*
 * Signing in, approver keys, the organisation's trust documents, the catalog and CI tokens, run
 * as the built binary against the real control plane with the people of `acmePeople`. The tests
 * run in order and share state. change-review-flow.test.ts takes the same people from a signed-in
 * organisation to an applied change.
 */
const t = acmePeople();

describe('isotyp login, whoami', () => {
  it('signs in with --password-stdin, keeps the password out of every output and the session private', async () => {
    for (const who of everyone) {
      const { status, stdout, stderr } = await t.run(
        who,
        ['login', '--org', org, '--email', people[who].email, '--password-stdin'],
        { input: `${password(who)}\n` },
      );
      expect(stderr).toBe('');
      expect(status).toBe(0);
      expect(stdout).toContain(`Signed in to ${t.cp.url} as ${people[who].email}`);
      const file = join(t.isotypHome(who), 'session.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(password(who));
      // The session is a real one: the server honours its access token.
      const { accessToken } = JSON.parse(readFileSync(file, 'utf8'));
      expect((await t.cp.ok('GET', '/v1/auth/whoami', { token: accessToken })).userId).toBe(t.ids[who]);
    }
  });

  it('answers --json with who signed in, and no token', async () => {
    const home = scratchHome();
    const result = await runCliAsync(
      ['login', '--org', org, '--email', people.ben.email, '--password-stdin', '--server', t.cp.url, '--json'],
      { home, input: password('ben') },
    );
    expect(result.status).toBe(0);
    const session = JSON.parse(readFileSync(join(home, '.isotyp', 'session.json'), 'utf8'));
    expect(JSON.parse(result.stdout)).toEqual({
      server: t.cp.url,
      org,
      email: people.ben.email,
      userId: t.ids.ben,
      expiresAt: session.expiresAt,
    });
    t.expectNoSecrets(result, [password('ben'), session.accessToken, session.refreshToken]);
  });

  it('reports a wrong password with its code and exit status, never echoing it', async () => {
    for (const json of [[], ['--json']]) {
      const result = await runCliAsync(
        ['login', '--org', org, '--email', people.ana.email, '--password-stdin', '--server', t.cp.url, ...json],
        { home: scratchHome(), input: 'not-the-password-42' },
      );
      expect(result.status).toBe(77);
      expect(`${result.stdout}${result.stderr}`).toContain('ISOTYP_CREDENTIALS_INVALID');
      expect(`${result.stdout}${result.stderr}`).not.toContain('not-the-password-42');
    }
  });

  it('has no --password flag to leak into shell history', async () => {
    const result = await t.run('ana', ['login', '--org', org, '--email', people.ana.email, '--password', 'x']);
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('Unknown flag');
  });

  it('whoami names the user and their roles', async () => {
    const me = await t.json('carl', ['whoami']);
    expect(me).toMatchObject({
      kind: 'user',
      orgId: org,
      userId: t.ids.carl,
      email: people.carl.email,
      server: t.cp.url,
    });
    expect(me.grants.map((g: { role: string }) => g.role).sort()).toEqual(['approver', 'dba']);
    const text = await t.run('carl', ['whoami']);
    expect(text.stdout).toContain(`${people.carl.email} at ${t.cp.url}`);
  });
});

describe('isotyp keys generate, org init', () => {
  it('creates each approver key locally (0600) and registers it, self-signed', async () => {
    for (const who of everyone) {
      const key = await t.json(who, ['keys', 'generate']);
      const file = join(t.isotypHome(who), 'keys', 'approver.key');
      expect(key).toMatchObject({ userId: t.ids[who], resumed: false, path: file });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(t.isotypHome(who), 'keys')).mode & 0o777).toBe(0o700);
      const stored = t.seedOf(who);
      expect(stored.keyId).toBe(key.keyId);
      expect(JSON.stringify(key)).not.toContain(stored.seed);
      // The server holds the public half, and only that.
      const registered = await t.cp.store.approverKeys.get(org, key.keyId);
      expect(registered).toMatchObject({ userId: t.ids[who], publicKey: stored.publicKey });
      expect(JSON.stringify(registered)).not.toContain(stored.seed);
    }
    const { keys } = await t.cp.ok('GET', '/v1/keys', { token: t.adminToken });
    expect(keys.map((k: { userId: string }) => k.userId).sort()).toEqual(everyone.map((who) => t.ids[who]).sort());
    const again = await t.run('ana', ['keys', 'generate']);
    expect(again.status).toBe(4);
    expect(again.stderr).toContain('ISOTYP_CONFLICT');
  });

  it('org init registers the root key and signs keyring v1 and the default policy v1', async () => {
    // A policy whose condition does not compile is refused before anything is created.
    const bad = join(t.homes.ana, 'bad-policy.json');
    writeFileSync(
      bad,
      JSON.stringify({ layers: [{ name: 'dba', when: 'change.dataLoss ||', required: 1, role: 'dba' }] }),
    );
    const refused = await t.run('ana', ['org', 'init', '--policy', bad]);
    expect(refused.status).toBe(65);
    expect(refused.stderr).toContain('ISOTYP_POLICY_INVALID');
    expect(await t.cp.store.trust.latest(org, 'root')).toBeUndefined();
    expect(() => statSync(join(t.isotypHome('ana'), 'keys', 'org-root.key'))).toThrow();

    const result = await t.json('ana', ['org', 'init']);
    expect(result.root).toMatchObject({ created: true, registered: true });
    const rootFile = join(t.isotypHome('ana'), 'keys', 'org-root.key');
    expect(statSync(rootFile).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(result)).not.toContain(JSON.parse(readFileSync(rootFile, 'utf8')).seed);
    expect(result.keyring.version).toBe(1);
    const roles = (keys: { userId: string; roles: string[] }[]) =>
      Object.fromEntries(keys.map((k) => [k.userId, k.roles]));
    expect(roles(result.keyring.keys)).toEqual({
      [t.ids.ana]: ['admin'],
      [t.ids.ben]: ['approver'],
      [t.ids.carl]: ['approver', 'dba'],
    });
    expect(result.keyring.skipped.map((s: { userId: string }) => s.userId)).toEqual([t.ids.dave]);
    expect(result.policy).toEqual({
      version: 1,
      layers: [
        { name: 'review', required: 1, role: 'approver' },
        { name: 'dba', when: 'change.dataLoss || change.bump == "major"', required: 1, role: 'dba' },
      ],
    });
    // The server keeps what it verified: the root this machine holds, and the keyring it signed.
    const root = await t.cp.ok('GET', '/v1/trust/root', { token: t.adminToken });
    expect(root.document.payload).toMatchObject({ org, keyId: result.root.keyId, publicKey: result.root.publicKey });
    const keyring = await t.cp.ok('GET', '/v1/trust/keyring', { token: t.adminToken });
    expect(keyring.version).toBe(1);
    expect(roles(keyring.document.payload.keys)).toEqual(roles(result.keyring.keys));
    // Re-running keeps what is done.
    const again = await t.json('ana', ['org', 'init']);
    expect(again.root).toMatchObject({ created: false, registered: false });
    expect(again.keyring).toEqual({ version: 1, existing: true });
  });

  it('org sign-keyring and org set-policy publish the next versions; a bad condition is refused', async () => {
    expect((await t.json('ana', ['org', 'sign-keyring'])).version).toBe(2);
    const policy = join(t.homes.ana, 'policy.yaml');
    writeFileSync(
      policy,
      'layers:\n  - { name: review, required: 1, role: approver }\n  - name: dba\n    when: change.dataLoss\n    required: 1\n    role: dba\n',
    );
    const published = await t.json('ana', ['org', 'set-policy', '--file', policy]);
    expect(published.version).toBe(2);
    expect(published.layers[1]).toEqual({ name: 'dba', when: 'change.dataLoss', required: 1, role: 'dba' });
    writeFileSync(policy, 'layers:\n  - { name: dba, when: "change.dataLoss &&", required: 1, role: dba }\n');
    const bad = await t.run('ana', ['org', 'set-policy', '--file', policy]);
    expect(bad.status).toBe(65);
    expect(bad.stderr).toContain('ISOTYP_POLICY_INVALID');
    expect((await t.cp.store.trust.latest(org, 'policy'))?.version).toBe(2);
    expect((await t.cp.store.trust.latest(org, 'keyring'))?.version).toBe(2);
    // Without the root key (Ben's machine) nothing can be signed.
    const notRoot = await t.run('ben', ['org', 'sign-keyring']);
    expect(notRoot.stderr).toContain("The organisation's root key is not on this machine");
  });
});

describe('isotyp projects, envs, targets, tokens', () => {
  it('creates and lists the catalog, resolving names', async () => {
    const project = await t.json('ana', ['projects', 'create', 'shop']);
    expect((await t.json('ben', ['projects', 'list'])).map((p: { name: string }) => p.name).sort()).toEqual([
      'lab',
      'shop',
    ]);
    const env = await t.json('ana', ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'digest']);
    expect(env).toMatchObject({ projectId: project.id, privacyMode: 'digest' });
    const target = await t.json('ana', ['targets', 'create', 'orders', '--env', 'prod', '--dialect', 'sqlite']);
    expect(target).toMatchObject({ projectId: project.id, environmentId: env.id, dialect: 'sqlite' });
    expect(
      (await t.json('ana', ['targets', 'list', '--project', 'shop', '--env', 'prod'])).map(
        (t: { name: string }) => t.name,
      ),
    ).toEqual(['orders']);
    const table = await t.run('ana', ['envs', 'list', '--project', 'shop']);
    expect(table.stdout).toMatch(/ID\s+NAME\s+PRIVACY/);
    expect(table.stdout).toContain('digest');
    const missing = await t.run('ana', ['envs', 'list', '--project', 'nope']);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toContain('ISOTYP_NOT_FOUND');
    // A dba may read the catalog but not write it.
    const refused = await t.run('carl', ['projects', 'create', 'rogue']);
    expect(refused.status).toBe(77);
    expect(refused.stderr).toContain('ISOTYP_FORBIDDEN');
  });

  it('creates a CI token shown once, which then works as ISOTYP_TOKEN until revoked', async () => {
    const created = await t.json('ana', [
      'tokens',
      'create',
      '--name',
      'deploy',
      '--env',
      'prod',
      '--actions',
      'apply,read',
    ]);
    expect(created.actions).toEqual(['apply', 'read']);
    expect(created.token).toMatch(/^isotyp_ci_/);
    const ci = { ISOTYP_TOKEN: created.token, ISOTYP_HOME: join(scratchHome(), 'empty') };
    const me = await runCliAsync(['whoami', '--json'], {
      home: scratchHome(),
      env: { ISOTYP_SERVER: t.cp.url, ...ci },
    });
    expect(JSON.parse(me.stdout)).toMatchObject({
      kind: 'ci',
      orgId: org,
      ci: { tokenId: created.id, actions: ['apply', 'read'] },
    });
    const listed = await t.json('ana', ['tokens', 'list']);
    expect(listed.map((t: { id: string }) => t.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    // The table names the scope as people do.
    const table = await t.run('ana', ['tokens', 'list']);
    expect(table.stdout).toMatch(new RegExp(`${created.id}\\s+deploy\\s+shop/prod\\s+apply,read\\s+active`));
    await t.json('ana', ['tokens', 'revoke', created.id]);
    expect((await t.cp.store.ciTokens.get(org, created.id))?.revokedAt).toEqual(expect.any(String));
    const after = await runCliAsync(['whoami', '--json'], {
      home: scratchHome(),
      env: { ISOTYP_SERVER: t.cp.url, ...ci },
    });
    expect(after.status).toBe(77);
    expect(after.stdout).toContain('ISOTYP_UNAUTHENTICATED');
    expect(after.stdout).not.toContain(created.token);
  });
});

describe('isotyp logout', () => {
  it('logout revokes the session on the server and deletes it here', async () => {
    const { refreshToken } = JSON.parse(readFileSync(join(t.isotypHome('dave'), 'session.json'), 'utf8'));
    const out = await t.json('dave', ['logout']);
    expect(out).toEqual({ server: t.cp.url, revoked: true });
    expect(existsSync(join(t.isotypHome('dave'), 'session.json'))).toBe(false);
    expect(await t.cp.refreshStatus(refreshToken)).toBe(401);
    const after = await t.run('dave', ['whoami']);
    expect(after.status).toBe(77);
    expect(after.stderr).toContain('ISOTYP_NOT_SIGNED_IN');
  });
});
