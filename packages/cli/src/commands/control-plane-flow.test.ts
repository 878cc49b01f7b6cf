import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAuditLog } from '@isotyp/agent';
import {
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  changeSubmissionSchema,
  decodePublicKey,
  type Envelope,
  verifyEnvelope,
} from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../services/control-plane/test-support/live-control-plane.js';
import { controlPlaneProxy } from '../services/control-plane/test-support/proxy.js';
import { runCliAsync, scratchHome } from '../services/control-plane/test-support/run-cli-async.js';
import type { CliResult } from '../test-support/run-cli.js';

/*
 * The people-and-changes commands, run as the built binary against the real control plane
 * (`runControlPlane`, SQLite store, loopback HTTP). Ana is the organisation's first admin and
 * writes a change; Ben (approver) and Carl (dba) review it; Dave is a dba in one project only,
 * so his key stays out of the keyring. The tests run in order and share state.
 *
 * Carl also holds `approver`: the server's RBAC gives `change:approve` to approvers and admins
 * only, so a person who is only a dba cannot sign the policy's dba layer.
 */
const org = 'acme';
const people = {
  ana: { email: 'ana@acme.test', roles: ['admin'] },
  ben: { email: 'ben@acme.test', roles: ['approver'] },
  carl: { email: 'carl@acme.test', roles: ['approver', 'dba'] },
  dave: { email: 'dave@acme.test', roles: ['dba'] },
} as const;
type Person = keyof typeof people;
const everyone = Object.keys(people) as Person[];
const password = (who: Person) => `${who}-s3cret-passphrase`;

let cp: LiveControlPlane;
let adminToken: string;
/** Server-made user ids. */
const ids = {} as Record<Person, string>;
const homes = Object.fromEntries(everyone.map((who) => [who, scratchHome()])) as Record<Person, string>;
const isotypHome = (who: Person) => join(homes[who], '.isotyp');

beforeAll(async () => {
  cp = await startLiveControlPlane({ org, admin: { email: people.ana.email, password: password('ana') } });
  adminToken = await cp.login(people.ana.email, password('ana'));
  ids.ana = (await cp.ok('GET', '/v1/auth/whoami', { token: adminToken })).userId;
  // Dave's grant names a project, which must exist first.
  const lab = await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'lab' } });
  for (const who of ['ben', 'carl', 'dave'] as const) {
    const scope = who === 'dave' ? { kind: 'project' as const, projectId: lab.id } : { kind: 'org' as const };
    ids[who] = await cp.createUser(adminToken, {
      email: people[who].email,
      password: password(who),
      grants: people[who].roles.map((role) => ({ role, scope })),
    });
  }
});
afterAll(async () => {
  await cp?.close();
});

/**
 * Every secret the test knows of: the passwords, the session tokens and the private-key seeds in
 * each person's $ISOTYP_HOME. No command may print any of them, in text, JSON or an error.
 */
function secrets(): string[] {
  const found: string[] = everyone.map(password);
  for (const who of everyone) {
    const session = join(isotypHome(who), 'session.json');
    if (existsSync(session)) {
      const { accessToken, refreshToken } = JSON.parse(readFileSync(session, 'utf8'));
      found.push(accessToken, refreshToken);
    }
    const keys = join(isotypHome(who), 'keys');
    for (const file of existsSync(keys) ? readdirSync(keys) : []) {
      found.push(JSON.parse(readFileSync(join(keys, file), 'utf8')).seed);
    }
  }
  return found;
}

function expectNoSecrets(result: CliResult, known: string[]): void {
  const shown = `${result.stdout}${result.stderr}`;
  for (const secret of known) expect(shown).not.toContain(secret);
}

async function run(
  who: Person,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  // Read before as well as after: `logout` deletes the session it must not have printed.
  const before = secrets();
  const result = await runCliAsync(args, {
    home: homes[who],
    input: options.input ?? '',
    env: { ISOTYP_SERVER: cp.url, ...options.env },
  });
  expectNoSecrets(result, [...before, ...secrets()]);
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
async function json(who: Person, args: string[]): Promise<any> {
  const result = await run(who, [...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status, result.stdout).toBe(0);
  return JSON.parse(result.stdout);
}

const seedOf = (who: Person) =>
  JSON.parse(readFileSync(join(isotypHome(who), 'keys', 'approver.key'), 'utf8')) as {
    keyId: string;
    publicKey: string;
    seed: string;
  };

describe('isotyp login, whoami, logout', () => {
  it('signs in with --password-stdin, keeps the password out of every output and the session private', async () => {
    for (const who of everyone) {
      const { status, stdout, stderr } = await run(
        who,
        ['login', '--org', org, '--email', people[who].email, '--password-stdin'],
        { input: `${password(who)}\n` },
      );
      expect(stderr).toBe('');
      expect(status).toBe(0);
      expect(stdout).toContain(`Signed in to ${cp.url} as ${people[who].email}`);
      const file = join(isotypHome(who), 'session.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(password(who));
      // The session is a real one: the server honours its access token.
      const { accessToken } = JSON.parse(readFileSync(file, 'utf8'));
      expect((await cp.ok('GET', '/v1/auth/whoami', { token: accessToken })).userId).toBe(ids[who]);
    }
  });

  it('answers --json with who signed in, and no token', async () => {
    const home = scratchHome();
    const result = await runCliAsync(
      ['login', '--org', org, '--email', people.ben.email, '--password-stdin', '--server', cp.url, '--json'],
      { home, input: password('ben') },
    );
    expect(result.status).toBe(0);
    const session = JSON.parse(readFileSync(join(home, '.isotyp', 'session.json'), 'utf8'));
    expect(JSON.parse(result.stdout)).toEqual({
      server: cp.url,
      org,
      email: people.ben.email,
      userId: ids.ben,
      expiresAt: session.expiresAt,
    });
    expectNoSecrets(result, [password('ben'), session.accessToken, session.refreshToken]);
  });

  it('reports a wrong password with its code and exit status, never echoing it', async () => {
    for (const json of [[], ['--json']]) {
      const result = await runCliAsync(
        ['login', '--org', org, '--email', people.ana.email, '--password-stdin', '--server', cp.url, ...json],
        { home: scratchHome(), input: 'not-the-password-42' },
      );
      expect(result.status).toBe(77);
      expect(`${result.stdout}${result.stderr}`).toContain('ISOTYP_CREDENTIALS_INVALID');
      expect(`${result.stdout}${result.stderr}`).not.toContain('not-the-password-42');
    }
  });

  it('has no --password flag to leak into shell history', async () => {
    const result = await run('ana', ['login', '--org', org, '--email', people.ana.email, '--password', 'x']);
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('Unknown flag');
  });

  it('whoami names the user and their roles', async () => {
    const me = await json('carl', ['whoami']);
    expect(me).toMatchObject({ kind: 'user', orgId: org, userId: ids.carl, email: people.carl.email, server: cp.url });
    expect(me.grants.map((g: { role: string }) => g.role).sort()).toEqual(['approver', 'dba']);
    const text = await run('carl', ['whoami']);
    expect(text.stdout).toContain(`${people.carl.email} at ${cp.url}`);
  });
});

describe('isotyp keys generate, org init', () => {
  it('creates each approver key locally (0600) and registers it, self-signed', async () => {
    for (const who of everyone) {
      const key = await json(who, ['keys', 'generate']);
      const file = join(isotypHome(who), 'keys', 'approver.key');
      expect(key).toMatchObject({ userId: ids[who], resumed: false, path: file });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(isotypHome(who), 'keys')).mode & 0o777).toBe(0o700);
      const stored = seedOf(who);
      expect(stored.keyId).toBe(key.keyId);
      expect(JSON.stringify(key)).not.toContain(stored.seed);
      // The server holds the public half, and only that.
      const registered = await cp.store.approverKeys.get(org, key.keyId);
      expect(registered).toMatchObject({ userId: ids[who], publicKey: stored.publicKey });
      expect(JSON.stringify(registered)).not.toContain(stored.seed);
    }
    const { keys } = await cp.ok('GET', '/v1/keys', { token: adminToken });
    expect(keys.map((k: { userId: string }) => k.userId).sort()).toEqual(everyone.map((who) => ids[who]).sort());
    const again = await run('ana', ['keys', 'generate']);
    expect(again.status).toBe(4);
    expect(again.stderr).toContain('ISOTYP_CONFLICT');
  });

  it('org init registers the root key and signs keyring v1 and the default policy v1', async () => {
    // A policy whose condition does not compile is refused before anything is created.
    const bad = join(homes.ana, 'bad-policy.json');
    writeFileSync(
      bad,
      JSON.stringify({ layers: [{ name: 'dba', when: 'change.dataLoss ||', required: 1, role: 'dba' }] }),
    );
    const refused = await run('ana', ['org', 'init', '--policy', bad]);
    expect(refused.status).toBe(65);
    expect(refused.stderr).toContain('ISOTYP_POLICY_INVALID');
    expect(await cp.store.trust.latest(org, 'root')).toBeUndefined();
    expect(() => statSync(join(isotypHome('ana'), 'keys', 'org-root.key'))).toThrow();

    const result = await json('ana', ['org', 'init']);
    expect(result.root).toMatchObject({ created: true, registered: true });
    const rootFile = join(isotypHome('ana'), 'keys', 'org-root.key');
    expect(statSync(rootFile).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(result)).not.toContain(JSON.parse(readFileSync(rootFile, 'utf8')).seed);
    expect(result.keyring.version).toBe(1);
    const roles = (keys: { userId: string; roles: string[] }[]) =>
      Object.fromEntries(keys.map((k) => [k.userId, k.roles]));
    expect(roles(result.keyring.keys)).toEqual({
      [ids.ana]: ['admin'],
      [ids.ben]: ['approver'],
      [ids.carl]: ['approver', 'dba'],
    });
    expect(result.keyring.skipped.map((s: { userId: string }) => s.userId)).toEqual([ids.dave]);
    expect(result.policy).toEqual({
      version: 1,
      layers: [
        { name: 'review', required: 1, role: 'approver' },
        { name: 'dba', when: 'change.dataLoss || change.bump == "major"', required: 1, role: 'dba' },
      ],
    });
    // The server keeps what it verified: the root this machine holds, and the keyring it signed.
    const root = await cp.ok('GET', '/v1/trust/root', { token: adminToken });
    expect(root.document.payload).toMatchObject({ org, keyId: result.root.keyId, publicKey: result.root.publicKey });
    const keyring = await cp.ok('GET', '/v1/trust/keyring', { token: adminToken });
    expect(keyring.version).toBe(1);
    expect(roles(keyring.document.payload.keys)).toEqual(roles(result.keyring.keys));
    // Re-running keeps what is done.
    const again = await json('ana', ['org', 'init']);
    expect(again.root).toMatchObject({ created: false, registered: false });
    expect(again.keyring).toEqual({ version: 1, existing: true });
  });

  it('org sign-keyring and org set-policy publish the next versions; a bad condition is refused', async () => {
    expect((await json('ana', ['org', 'sign-keyring'])).version).toBe(2);
    const policy = join(homes.ana, 'policy.yaml');
    writeFileSync(
      policy,
      'layers:\n  - { name: review, required: 1, role: approver }\n  - name: dba\n    when: change.dataLoss\n    required: 1\n    role: dba\n',
    );
    const published = await json('ana', ['org', 'set-policy', '--file', policy]);
    expect(published.version).toBe(2);
    expect(published.layers[1]).toEqual({ name: 'dba', when: 'change.dataLoss', required: 1, role: 'dba' });
    writeFileSync(policy, 'layers:\n  - { name: dba, when: "change.dataLoss &&", required: 1, role: dba }\n');
    const bad = await run('ana', ['org', 'set-policy', '--file', policy]);
    expect(bad.status).toBe(65);
    expect(bad.stderr).toContain('ISOTYP_POLICY_INVALID');
    expect((await cp.store.trust.latest(org, 'policy'))?.version).toBe(2);
    expect((await cp.store.trust.latest(org, 'keyring'))?.version).toBe(2);
    // Without the root key (Ben's machine) nothing can be signed.
    const notRoot = await run('ben', ['org', 'sign-keyring']);
    expect(notRoot.stderr).toContain("The organisation's root key is not on this machine");
  });
});

describe('isotyp projects, envs, targets, tokens', () => {
  it('creates and lists the catalog, resolving names', async () => {
    const project = await json('ana', ['projects', 'create', 'shop']);
    expect((await json('ben', ['projects', 'list'])).map((p: { name: string }) => p.name).sort()).toEqual([
      'lab',
      'shop',
    ]);
    const env = await json('ana', ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'digest']);
    expect(env).toMatchObject({ projectId: project.id, privacyMode: 'digest' });
    const target = await json('ana', ['targets', 'create', 'orders', '--env', 'prod', '--dialect', 'sqlite']);
    expect(target).toMatchObject({ projectId: project.id, environmentId: env.id, dialect: 'sqlite' });
    expect(
      (await json('ana', ['targets', 'list', '--project', 'shop', '--env', 'prod'])).map(
        (t: { name: string }) => t.name,
      ),
    ).toEqual(['orders']);
    const table = await run('ana', ['envs', 'list', '--project', 'shop']);
    expect(table.stdout).toMatch(/ID\s+NAME\s+PRIVACY/);
    expect(table.stdout).toContain('digest');
    const missing = await run('ana', ['envs', 'list', '--project', 'nope']);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toContain('ISOTYP_NOT_FOUND');
    // A dba may read the catalog but not write it.
    const refused = await run('carl', ['projects', 'create', 'rogue']);
    expect(refused.status).toBe(77);
    expect(refused.stderr).toContain('ISOTYP_FORBIDDEN');
  });

  it('creates a CI token shown once, which then works as ISOTYP_TOKEN until revoked', async () => {
    const created = await json('ana', [
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
    const me = await runCliAsync(['whoami', '--json'], { home: scratchHome(), env: { ISOTYP_SERVER: cp.url, ...ci } });
    expect(JSON.parse(me.stdout)).toMatchObject({
      kind: 'ci',
      orgId: org,
      ci: { tokenId: created.id, actions: ['apply', 'read'] },
    });
    const listed = await json('ana', ['tokens', 'list']);
    expect(listed.map((t: { id: string }) => t.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    await json('ana', ['tokens', 'revoke', created.id]);
    expect((await cp.store.ciTokens.get(org, created.id))?.revokedAt).toEqual(expect.any(String));
    const after = await runCliAsync(['whoami', '--json'], {
      home: scratchHome(),
      env: { ISOTYP_SERVER: cp.url, ...ci },
    });
    expect(after.status).toBe(77);
    expect(after.stdout).toContain('ISOTYP_UNAUTHENTICATED');
    expect(after.stdout).not.toContain(created.token);
  });
});

describe('isotyp submit, changes, approve, reject', () => {
  let changeId = '';
  const planFile = () => join(homes.ana, 'plan.json');

  it('submits a plan written by isotyp plan --out in digest mode: signed, no object names, no DDL', async () => {
    const db = join(homes.ana, 'orders.db');
    const conn = new Database(db);
    conn.exec(
      "CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT, secret_salary INTEGER); INSERT INTO staff_member VALUES (1, 'a', 5);",
    );
    conn.close();
    const schema = join(homes.ana, 'schema.sql');
    writeFileSync(
      schema,
      'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT);\nCREATE TABLE payroll_ledger (id INTEGER PRIMARY KEY);\n',
    );
    const planned = await run('ana', ['plan', '-t', `sqlite:${db}`, '--schema', schema, '--out', planFile()]);
    expect(planned.status, planned.stderr).toBe(0);
    const written = JSON.parse(readFileSync(planFile(), 'utf8'));
    expect(written.semver).toBe('major');
    expect(written.lint.length).toBeGreaterThan(0);

    // json() also checks that stderr is empty: the file holds the findings, so no warning.
    const change = await json('ana', [
      'submit',
      '--plan',
      planFile(),
      '--env',
      'prod',
      '--title',
      'Drop salary column',
    ]);
    changeId = change.id;
    expect(change).toMatchObject({
      state: 'submitted',
      title: 'Drop salary column',
      bump: 'major',
      fromVersion: '0.0.0',
      toVersion: '1.0.0',
      planDigest: written.planDigest,
      authorUserId: ids.ana,
      authorKeyId: seedOf('ana').keyId,
      policyVersion: 2,
    });
    // What the server stored is all that left this machine.
    const stored = await cp.store.changes.get(org, changeId);
    const kept = JSON.stringify(stored);
    for (const name of ['staff_member', 'secret_salary', 'payroll_ledger', 'nickname'])
      expect(kept).not.toContain(name);
    expect(kept).not.toMatch(/CREATE|ALTER|DROP/);
    expect(kept).not.toContain('"message"');
    expect(stored?.manifest).toMatchObject({ mode: 'digest', dataLoss: true });
    expect(stored?.lint).toEqual(
      written.lint.map((f: { rule: string; severity: string }) => ({ rule: f.rule, severity: f.severity })),
    );
    // Signed by Ana's approver key over exactly these digests.
    const { payload } = verifyEnvelope(stored?.submission, {
      type: CHANGE_SUBMISSION_ENVELOPE_TYPE,
      keys: new Map([[seedOf('ana').keyId, decodePublicKey(seedOf('ana').publicKey)]]),
      payload: changeSubmissionSchema,
    });
    expect(payload).toMatchObject({ planDigest: written.planDigest, manifestDigest: stored?.manifestDigest });
  });

  it('shows the review per layer, readable and as JSON', async () => {
    const text = await run('ben', ['changes', 'show', changeId]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('SUBMITTED  Drop salary column');
    expect(text.stdout).toMatch(/LAYER\s+ROLE\s+APPLIES\s+NEEDS\s+APPROVED BY\s+REJECTED BY\s+MISSING/);
    expect(text.stdout).toMatch(/review\s+approver\s+yes\s+1\s+-\s+-\s+1/);
    expect(text.stdout).toMatch(/dba\s+dba\s+yes\s+1\s+-\s+-\s+1/);
    const shown = await json('ben', ['changes', 'show', changeId]);
    expect(shown.review.status).toBe('pending');
    const listed = await json('ben', ['changes', 'list', '--state', 'submitted']);
    expect(listed.changes.map((c: { id: string }) => c.id)).toEqual([changeId]);
  });

  it('refuses the author approving their own change', async () => {
    const own = await run('ana', ['approve', changeId]);
    expect(own.status).toBe(77);
    expect(own.stderr).toContain('ISOTYP_SEPARATION_OF_DUTIES');
  });

  it('signs approvals locally, picks or checks the layer each signer fits, and approves the change', async () => {
    const wrongLayer = await run('ben', ['approve', changeId, '--layer', 'dba']);
    expect(wrongLayer.status).toBe(77);
    expect(wrongLayer.stderr).toContain('layer dba needs role dba');
    const ben = await json('ben', ['approve', changeId, '--expires-in', '4h']);
    expect(ben).toMatchObject({ layer: 'review', decision: 'approve', change: { state: 'in_review' } });
    const carl = await json('carl', ['approve', changeId, '--layer', 'dba']);
    expect(carl).toMatchObject({ layer: 'dba', change: { state: 'approved' } });
    // The server holds two signed envelopes, one per layer, each under its signer's key id.
    const approvals = await cp.store.approvals.forChange(org, changeId);
    expect(approvals.map((a) => [a.layer, a.userId, a.keyId])).toEqual([
      ['review', ids.ben, seedOf('ben').keyId],
      ['dba', ids.carl, seedOf('carl').keyId],
    ]);
    const kept = JSON.stringify(approvals);
    for (const who of ['ben', 'carl'] as const) expect(kept).not.toContain(seedOf(who).seed);
    const expiresIn = (Date.parse(ben.expiresAt) - Date.now()) / 3_600_000;
    expect(expiresIn).toBeGreaterThan(3.9);
    expect(expiresIn).toBeLessThanOrEqual(4);
    expect(approvals[0]?.expiresAt).toBe(ben.expiresAt);
  });

  it('records a signed rejection with its reason on a new change, leaving the approved one approved', async () => {
    const second = await json('ana', ['submit', '--plan', planFile(), '--env', 'prod', '--target', 'orders']);
    expect(second.title).toMatch(/^\d+ operations? on orders$/);
    // A later submission does not throw away collected approvals.
    expect((await cp.store.changes.get(org, changeId))?.state).toBe('approved');
    const rejected = await json('carl', [
      'reject',
      second.id,
      '--layer',
      'dba',
      '--reason',
      'Billing still reads the column.',
    ]);
    expect(rejected).toMatchObject({ decision: 'reject', layer: 'dba', change: { state: 'rejected' } });
    const [stored] = await cp.store.approvals.forChange(org, second.id);
    expect(stored).toMatchObject({ decision: 'reject', layer: 'dba', userId: ids.carl });
    expect((stored?.envelope as unknown as Envelope | undefined)?.payload).toMatchObject({
      reason: 'Billing still reads the column.',
    });
  });

  describe('isotyp apply --change (zero-trust, as a CI job)', () => {
    let ci: { token: string; targetId: string; rootKeyId: string; rejectedId: string };
    const db = () => join(homes.ana, 'orders.db');
    const applyArgs = (id: string) => [
      'apply',
      '--change',
      id,
      '--target',
      `sqlite:${db()}`,
      '--schema',
      join(homes.ana, 'schema.sql'),
      '--target-id',
      ci.targetId,
      '--env',
      'prod',
      '--org-root',
      ci.rootKeyId,
      '--ci',
      '--json',
    ];
    const tables = () => {
      const conn = new Database(db(), { readonly: true });
      try {
        return conn.prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'isotyp%' ORDER BY name").all();
      } finally {
        conn.close();
      }
    };
    const auditActions = (home: string) => {
      const log = openAuditLog(join(home, '.isotyp', 'audit.db'));
      try {
        return log
          .list()
          .map((e) => `${e.action} ${e.entity.id}`)
          .reverse();
      } finally {
        log.close();
      }
    };

    beforeAll(async () => {
      const created = await json('ana', [
        'tokens',
        'create',
        '--name',
        'deploy-orders',
        '--env',
        'prod',
        '--actions',
        'apply',
      ]);
      const { targets } = await cp.ok('GET', '/v1/targets', { token: adminToken });
      const root = await cp.ok('GET', '/v1/trust/root', { token: adminToken });
      const { changes } = await cp.ok('GET', '/v1/changes?state=rejected', { token: adminToken });
      ci = {
        token: created.token,
        targetId: targets.find((t: { name: string }) => t.name === 'orders').id,
        rootKeyId: root.document.payload.keyId,
        rejectedId: changes[0].id,
      };
    });

    it('refuses a rejected change through a control plane that swaps in another change’s approvals (exit 8)', async () => {
      // A compromised control plane: the rejected change served as approved, with the approvals
      // of the approved change. Everything else passes through untouched.
      const approved = await cp.ok('GET', `/v1/changes/${changeId}`, { token: adminToken });
      const hostile = await controlPlaneProxy(cp.url, {
        tamper: (path, body) =>
          path === `/v1/changes/${ci.rejectedId}`
            ? { ...(body as object), state: 'approved', approvals: approved.approvals }
            : body,
      });
      try {
        const before = tables();
        const home = scratchHome();
        const result = await runCliAsync(applyArgs(ci.rejectedId), {
          home,
          env: { ISOTYP_SERVER: hostile.url, ISOTYP_TOKEN: ci.token },
        });
        expect(result.status, result.stdout).toBe(8);
        const error = JSON.parse(result.stdout).error;
        expect(error.code).toBe('ISOTYP_NOT_APPROVED');
        // Neither the swapped-in approvals nor the real rejection count for anything but refusal.
        expect(error.details.refused.map((r: { code: string }) => r.code)).toEqual([
          'ISOTYP_APPROVAL_INVALID',
          'ISOTYP_APPROVAL_INVALID',
        ]);
        expect(tables()).toEqual(before);
        expect(auditActions(home)).toEqual([`change.refused:ISOTYP_NOT_APPROVED ${ci.rejectedId}`]);
        expect((await cp.store.changes.get(org, ci.rejectedId))?.state).toBe('rejected');
      } finally {
        await hostile.close();
      }
    });

    it('refuses a control plane whose org root is not the pinned one (exit 77), and a pin that is no key id (64)', async () => {
      const home = scratchHome();
      const before = tables();
      const env = { ISOTYP_SERVER: cp.url, ISOTYP_TOKEN: ci.token };
      const notAKey = await runCliAsync(
        applyArgs(changeId).map((a) => (a === ci.rootKeyId ? 'acme-root' : a)),
        { home, env },
      );
      expect(notAKey.status).toBe(64);
      expect(JSON.parse(notAKey.stdout).error.code).toBe('ISOTYP_USAGE');
      const wrongRoot = await runCliAsync(
        applyArgs(changeId).map((a) => (a === ci.rootKeyId ? seedOf('ana').keyId : a)),
        { home, env },
      );
      expect(wrongRoot.status).toBe(77);
      expect(JSON.parse(wrongRoot.stdout).error.code).toBe('ISOTYP_TRUST_MISMATCH');
      expect(tables()).toEqual(before);
      expect((await cp.store.changes.get(org, changeId))?.state).toBe('approved');
    });

    it('applies the approved change after verifying it here; the control plane hears applying, then applied', async () => {
      const home = scratchHome();
      const result = await runCliAsync(applyArgs(changeId), {
        home,
        env: { ISOTYP_SERVER: cp.url, ISOTYP_TOKEN: ci.token },
      });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out.approvals.map((a: { userId: string; layer: string }) => [a.userId, a.layer])).toEqual([
        [ids.ben, 'review'],
        [ids.carl, 'dba'],
      ]);
      expect(tables().map((t) => (t as { name: string }).name)).toEqual(['payroll_ledger', 'staff_member']);
      expect(JSON.stringify(tables())).not.toContain('secret_salary');
      const stored = await cp.store.changes.get(org, changeId);
      expect(stored?.state).toBe('applied');
      const target = await cp.store.targets.get(org, ci.targetId);
      expect(target).toMatchObject({ digest: out.toDigest, version: '1.0.0' });
      expect(auditActions(home)).toEqual([`change.apply ${changeId}`]);
      // The same change again: the live database no longer gives the approved plan.
      const again = await runCliAsync(applyArgs(changeId), {
        home,
        env: { ISOTYP_SERVER: cp.url, ISOTYP_TOKEN: ci.token },
      });
      expect(again.status).toBe(3);
      expect(JSON.parse(again.stdout).error.code).toBe('ISOTYP_DIGEST_MISMATCH');
    });
  });

  it('logout revokes the session on the server and deletes it here', async () => {
    const { refreshToken } = JSON.parse(readFileSync(join(isotypHome('dave'), 'session.json'), 'utf8'));
    const out = await json('dave', ['logout']);
    expect(out).toEqual({ server: cp.url, revoked: true });
    expect(existsSync(join(isotypHome('dave'), 'session.json'))).toBe(false);
    expect(await cp.refreshStatus(refreshToken)).toBe(401);
    const after = await run('dave', ['whoami']);
    expect(after.status).toBe(77);
    expect(after.stderr).toContain('ISOTYP_NOT_SIGNED_IN');
  });
});
