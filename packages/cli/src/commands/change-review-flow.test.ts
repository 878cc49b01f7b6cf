import { readFileSync, writeFileSync } from 'node:fs';
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
import { beforeAll, describe, expect, it } from 'vitest';
import { acmePeople, everyone, org, password, people } from '../services/control-plane/test-support/acme-people.js';
import { controlPlaneProxy } from '../services/control-plane/test-support/proxy.js';
import { runCliAsync, scratchHome } from '../services/control-plane/test-support/run-cli-async.js';

/*
 * A change from plan to applied, run as the built binary against the real control plane with the
 * people of `acmePeople`: Ana plans and submits it, Ben and Carl review it, and a CI job applies it
 * after verifying every signature itself. The tests run in order and share state.
 */
const t = acmePeople();

/** Where control-plane-flow.test.ts leaves the organisation: everyone signed in with a key, trust and catalog set up. */
beforeAll(async () => {
  for (const who of everyone) {
    const login = await t.run(who, ['login', '--org', org, '--email', people[who].email, '--password-stdin'], {
      input: `${password(who)}\n`,
    });
    expect(login.status, login.stderr).toBe(0);
    await t.json(who, ['keys', 'generate']);
  }
  const policy = join(t.homes.ana, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      layers: [
        { name: 'review', required: 1, role: 'approver' },
        { name: 'dba', when: 'change.dataLoss', required: 1, role: 'dba' },
      ],
    }),
  );
  await t.json('ana', ['org', 'init', '--policy', policy]);
  await t.json('ana', ['projects', 'create', 'shop']);
  await t.json('ana', ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'digest']);
  await t.json('ana', ['targets', 'create', 'orders', '--env', 'prod', '--dialect', 'sqlite']);
});

describe('isotyp submit, changes, approve, reject', () => {
  let changeId = '';
  const planFile = () => join(t.homes.ana, 'plan.json');

  it('submits a plan written by isotyp plan --out in digest mode: signed, no object names, no DDL', async () => {
    const db = join(t.homes.ana, 'orders.db');
    const conn = new Database(db);
    conn.exec(
      "CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT, secret_salary INTEGER); INSERT INTO staff_member VALUES (1, 'a', 5);",
    );
    conn.close();
    const schema = join(t.homes.ana, 'schema.sql');
    writeFileSync(
      schema,
      'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT);\nCREATE TABLE payroll_ledger (id INTEGER PRIMARY KEY);\n',
    );
    const planned = await t.run('ana', ['plan', '-t', `sqlite:${db}`, '--schema', schema, '--out', planFile()]);
    expect(planned.status, planned.stderr).toBe(0);
    const written = JSON.parse(readFileSync(planFile(), 'utf8'));
    expect(written.semver).toBe('major');
    expect(written.lint.length).toBeGreaterThan(0);

    // json() also checks that stderr is empty: the file holds the findings, so no warning.
    const change = await t.json('ana', [
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
      authorUserId: t.ids.ana,
      authorKeyId: t.seedOf('ana').keyId,
      policyVersion: 1,
    });
    // What the server stored is all that left this machine.
    const stored = await t.cp.store.changes.get(org, changeId);
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
      keys: new Map([[t.seedOf('ana').keyId, decodePublicKey(t.seedOf('ana').publicKey)]]),
      payload: changeSubmissionSchema,
    });
    expect(payload).toMatchObject({ planDigest: written.planDigest, manifestDigest: stored?.manifestDigest });
  });

  it('shows the review per layer, readable and as JSON', async () => {
    const text = await t.run('ben', ['changes', 'show', changeId]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('SUBMITTED  Drop salary column');
    expect(text.stdout).toMatch(/LAYER\s+ROLE\s+APPLIES\s+NEEDS\s+APPROVED BY\s+REJECTED BY\s+MISSING/);
    expect(text.stdout).toMatch(/review\s+approver\s+yes\s+1\s+-\s+-\s+1/);
    expect(text.stdout).toMatch(/dba\s+dba\s+yes\s+1\s+-\s+-\s+1/);
    const shown = await t.json('ben', ['changes', 'show', changeId]);
    expect(shown.review.status).toBe('pending');
    const listed = await t.json('ben', ['changes', 'list', '--state', 'submitted']);
    expect(listed.changes.map((c: { id: string }) => c.id)).toEqual([changeId]);
  });

  it('refuses the author approving their own change', async () => {
    const own = await t.run('ana', ['approve', changeId]);
    expect(own.status).toBe(77);
    expect(own.stderr).toContain('ISOTYP_SEPARATION_OF_DUTIES');
  });

  it('signs approvals locally, picks or checks the layer each signer fits, and approves the change', async () => {
    const wrongLayer = await t.run('ben', ['approve', changeId, '--layer', 'dba']);
    expect(wrongLayer.status).toBe(77);
    expect(wrongLayer.stderr).toContain('layer dba needs role dba');
    const ben = await t.json('ben', ['approve', changeId, '--expires-in', '4h']);
    expect(ben).toMatchObject({ layer: 'review', decision: 'approve', change: { state: 'in_review' } });
    const carl = await t.json('carl', ['approve', changeId, '--layer', 'dba']);
    expect(carl).toMatchObject({ layer: 'dba', change: { state: 'approved' } });
    // The server holds two signed envelopes, one per layer, each under its signer's key id.
    const approvals = await t.cp.store.approvals.forChange(org, changeId);
    expect(approvals.map((a) => [a.layer, a.userId, a.keyId])).toEqual([
      ['review', t.ids.ben, t.seedOf('ben').keyId],
      ['dba', t.ids.carl, t.seedOf('carl').keyId],
    ]);
    const kept = JSON.stringify(approvals);
    for (const who of ['ben', 'carl'] as const) expect(kept).not.toContain(t.seedOf(who).seed);
    const expiresIn = (Date.parse(ben.expiresAt) - Date.now()) / 3_600_000;
    expect(expiresIn).toBeGreaterThan(3.9);
    expect(expiresIn).toBeLessThanOrEqual(4);
    expect(approvals[0]?.expiresAt).toBe(ben.expiresAt);
  });

  it('records a signed rejection with its reason on a new change, leaving the approved one approved', async () => {
    const second = await t.json('ana', ['submit', '--plan', planFile(), '--env', 'prod', '--target', 'orders']);
    expect(second.title).toMatch(/^\d+ operations? on orders$/);
    // A later submission does not throw away collected approvals.
    expect((await t.cp.store.changes.get(org, changeId))?.state).toBe('approved');
    const rejected = await t.json('carl', [
      'reject',
      second.id,
      '--layer',
      'dba',
      '--reason',
      'Billing still reads the column.',
    ]);
    expect(rejected).toMatchObject({ decision: 'reject', layer: 'dba', change: { state: 'rejected' } });
    const [stored] = await t.cp.store.approvals.forChange(org, second.id);
    expect(stored).toMatchObject({ decision: 'reject', layer: 'dba', userId: t.ids.carl });
    expect((stored?.envelope as unknown as Envelope | undefined)?.payload).toMatchObject({
      reason: 'Billing still reads the column.',
    });
  });

  describe('isotyp apply --change (zero-trust, as a CI job)', () => {
    let ci: { token: string; targetId: string; rootKeyId: string; rejectedId: string };
    const db = () => join(t.homes.ana, 'orders.db');
    const applyArgs = (id: string) => [
      'apply',
      '--change',
      id,
      '--target',
      `sqlite:${db()}`,
      '--schema',
      join(t.homes.ana, 'schema.sql'),
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
      const created = await t.json('ana', [
        'tokens',
        'create',
        '--name',
        'deploy-orders',
        '--env',
        'prod',
        '--actions',
        'apply',
      ]);
      const { targets } = await t.cp.ok('GET', '/v1/targets', { token: t.adminToken });
      const root = await t.cp.ok('GET', '/v1/trust/root', { token: t.adminToken });
      const { changes } = await t.cp.ok('GET', '/v1/changes?state=rejected', { token: t.adminToken });
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
      const approved = await t.cp.ok('GET', `/v1/changes/${changeId}`, { token: t.adminToken });
      const hostile = await controlPlaneProxy(t.cp.url, {
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
        expect((await t.cp.store.changes.get(org, ci.rejectedId))?.state).toBe('rejected');
      } finally {
        await hostile.close();
      }
    });

    it('refuses a control plane whose org root is not the pinned one (exit 77), and a pin that is no key id (64)', async () => {
      const home = scratchHome();
      const before = tables();
      const env = { ISOTYP_SERVER: t.cp.url, ISOTYP_TOKEN: ci.token };
      const notAKey = await runCliAsync(
        applyArgs(changeId).map((a) => (a === ci.rootKeyId ? 'acme-root' : a)),
        { home, env },
      );
      expect(notAKey.status).toBe(64);
      expect(JSON.parse(notAKey.stdout).error.code).toBe('ISOTYP_USAGE');
      const wrongRoot = await runCliAsync(
        applyArgs(changeId).map((a) => (a === ci.rootKeyId ? t.seedOf('ana').keyId : a)),
        { home, env },
      );
      expect(wrongRoot.status).toBe(77);
      expect(JSON.parse(wrongRoot.stdout).error.code).toBe('ISOTYP_TRUST_MISMATCH');
      expect(tables()).toEqual(before);
      expect((await t.cp.store.changes.get(org, changeId))?.state).toBe('approved');
    });

    it('applies the approved change after verifying it here; the control plane hears applying, then applied', async () => {
      const home = scratchHome();
      const result = await runCliAsync(applyArgs(changeId), {
        home,
        env: { ISOTYP_SERVER: t.cp.url, ISOTYP_TOKEN: ci.token },
      });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out.approvals.map((a: { userId: string; layer: string }) => [a.userId, a.layer])).toEqual([
        [t.ids.ben, 'review'],
        [t.ids.carl, 'dba'],
      ]);
      expect(tables().map((t) => (t as { name: string }).name)).toEqual(['payroll_ledger', 'staff_member']);
      expect(JSON.stringify(tables())).not.toContain('secret_salary');
      const stored = await t.cp.store.changes.get(org, changeId);
      expect(stored?.state).toBe('applied');
      const target = await t.cp.store.targets.get(org, ci.targetId);
      expect(target).toMatchObject({ digest: out.toDigest, version: '1.0.0' });
      expect(auditActions(home)).toEqual([`change.apply ${changeId}`]);
      // The same change again: the live database no longer gives the approved plan.
      const again = await runCliAsync(applyArgs(changeId), {
        home,
        env: { ISOTYP_SERVER: t.cp.url, ISOTYP_TOKEN: ci.token },
      });
      expect(again.status).toBe(3);
      expect(JSON.parse(again.stdout).error.code).toBe('ISOTYP_DIGEST_MISMATCH');
    });
  });
});
