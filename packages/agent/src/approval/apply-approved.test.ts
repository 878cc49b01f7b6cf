import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  changeManifestDigest,
  type Ed25519KeyPair,
  encodePublicKey,
  generateKeyPair,
  type KeyId,
  keyId,
  ORG_ROOT_ENVELOPE_TYPE,
  type Plan,
  type PolicyLayer,
  sealEnvelope,
  sealKeyring,
  sealPolicy,
  signApproval,
} from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditLog } from '../audit/audit-log.js';
import { planTarget } from '../local.js';
import { buildManifest, wireLint } from '../plan/manifest.js';
import { applyApprovedChange } from './apply-approved.js';
import { openTrustState } from './trust-state.js';
import type { ApprovalEvidence } from './verify-approved-change.js';

/*
 * Zero-trust apply against a real SQLite file: the honest control plane's evidence applies; every
 * way a compromised control plane could bend it is refused before a statement runs, with a stable
 * code and an audit entry, and the database is left exactly as it was.
 */

const BASE = 'CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER);';
/** Adds a table: safe, so only the review layer applies. */
const ADD_ARTIST = `${BASE}\nCREATE TABLE artist (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`;
/** Drops a column: data loss, so the dba layer applies as well. */
const DROP_YEAR = 'CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT NOT NULL);';

const LAYERS: PolicyLayer[] = [
  { name: 'review', required: 1, role: 'approver' },
  { name: 'dba', when: 'change.dataLoss', required: 1, role: 'dba' },
];

interface Person {
  userId: string;
  key: Ed25519KeyPair;
  keyId: KeyId;
  roles: ('approver' | 'dba')[];
}

const person = (userId: string, roles: Person['roles']): Person => {
  const key = generateKeyPair();
  return { userId, key, keyId: keyId(key.publicKey), roles };
};

/** One organisation's signed documents, as `isotyp org init` makes them. */
function organisation(people: Person[], keyringVersion = 1) {
  const root = generateKeyPair();
  const rootKeyId = keyId(root.publicKey);
  const rootEnvelope = sealEnvelope({
    type: ORG_ROOT_ENVELOPE_TYPE,
    payload: { org: 'acme', keyId: rootKeyId, publicKey: encodePublicKey(root.publicKey) },
    secretKey: root.secretKey,
  });
  const keyring = (version: number, who: Person[]) =>
    sealKeyring(
      {
        org: 'acme',
        version,
        keys: who.map((p) => ({
          keyId: p.keyId,
          publicKey: encodePublicKey(p.key.publicKey),
          userId: p.userId,
          roles: p.roles,
        })),
      },
      root.secretKey,
    );
  return {
    root,
    rootKeyId,
    rootEnvelope,
    keyring,
    keyringEnvelope: keyring(keyringVersion, people),
    policyEnvelope: sealPolicy({ org: 'acme', version: 1, layers: LAYERS }, root.secretKey),
  };
}

const ENVIRONMENT = { id: 'env_prod', projectId: 'prj_shop', name: 'prod', privacyMode: 'structure' as const };

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-zero-trust-'));
  dirs.push(dir);
  return dir;
}

/** A target database, the desired schema, the agent's home (trust state and audit log). */
function world(desired: string) {
  const dir = tempDir();
  const target = join(dir, 'app.db');
  const db = new Database(target);
  db.exec(BASE);
  db.prepare('INSERT INTO album (title, year) VALUES (?, ?)').run('Blue Train', 1957);
  db.close();
  const schema = join(dir, 'schema.sql');
  writeFileSync(schema, desired);
  return { dir, target: `sqlite:${target}`, path: target, schema };
}

/** The database's schema text and rows: what "nothing changed" compares. */
function snapshot(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return JSON.stringify([
      db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all(),
      db.prepare('SELECT * FROM album').all(),
    ]);
  } finally {
    db.close();
  }
}

const author = person('usr_author', ['dba', 'approver']);
const reviewer = person('usr_reviewer', ['approver']);
const dba = person('usr_dba', ['dba', 'approver']);

/** What an honest control plane serves for change `changeId` of `plan`, with the given approvals. */
function evidence(
  org: ReturnType<typeof organisation>,
  plan: Plan,
  changeId: string,
  approvals: unknown[],
  overrides: Partial<Record<string, unknown>> = {},
): ApprovalEvidence {
  const manifest = buildManifest(plan, ENVIRONMENT.privacyMode);
  const submission = sealEnvelope({
    type: CHANGE_SUBMISSION_ENVELOPE_TYPE,
    payload: {
      project: ENVIRONMENT.projectId,
      environment: ENVIRONMENT.id,
      target: 'tgt_main',
      fromDigest: plan.fromDigest,
      toDigest: plan.toDigest,
      planDigest: plan.planDigest,
      manifestDigest: changeManifestDigest(manifest, wireLint([], ENVIRONMENT.privacyMode)),
      bump: 'minor',
      title: 'Change the albums',
    },
    secretKey: author.key.secretKey,
  });
  return {
    change: {
      id: changeId,
      targetId: 'tgt_main',
      environmentId: ENVIRONMENT.id,
      planDigest: plan.planDigest,
      policyVersion: 1,
      authorUserId: author.userId,
      submission,
      approvals,
      ...overrides,
    },
    root: org.rootEnvelope,
    keyring: org.keyringEnvelope,
    policy: org.policyEnvelope,
    environment: ENVIRONMENT,
  };
}

function approval(
  signer: Person,
  plan: Plan,
  layer: string,
  options: { changeId?: string; targetId?: string; expiresInMs?: number; nonce?: string } = {},
) {
  return signApproval(
    {
      changeId: options.changeId ?? 'chg_1',
      targetId: options.targetId ?? 'tgt_main',
      planDigest: plan.planDigest,
      policyVersion: 1,
      layer,
      decision: 'approve',
      expiresAt: new Date(Date.now() + (options.expiresInMs ?? 3_600_000)).toISOString(),
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    },
    signer.key.secretKey,
  );
}

async function planFor(w: ReturnType<typeof world>): Promise<Plan> {
  return (await planTarget(w.target, { schema: w.schema })).plan;
}

async function attempt(
  w: ReturnType<typeof world>,
  org: ReturnType<typeof organisation>,
  served: ApprovalEvidence,
  changeId = 'chg_1',
  now?: () => Date,
) {
  const trust = openTrustState(join(w.dir, 'home', 'trust.db'));
  const audit = openAuditLog(join(w.dir, 'home', 'audit.db'));
  try {
    return await applyApprovedChange({
      target: w.target,
      plan: { schema: w.schema },
      evidence: served,
      local: { changeId, targetId: 'tgt_main', environment: 'prod', rootKeyId: org.rootKeyId },
      trust,
      audit,
      actor: 'ci:deploy',
      ...(now === undefined ? {} : { now }),
    });
  } finally {
    trust.close();
    audit.close();
  }
}

/** The actions in the agent's audit log, oldest first. */
function auditActions(w: ReturnType<typeof world>): string[] {
  const audit = openAuditLog(join(w.dir, 'home', 'audit.db'));
  try {
    return audit
      .list({ limit: 100 })
      .map((e) => e.action)
      .reverse();
  } finally {
    audit.close();
  }
}

describe('zero-trust apply', () => {
  const org = organisation([author, reviewer, dba]);

  it('applies a change its own plan, policy and approvals say is approved, and records it', async () => {
    const w = world(ADD_ARTIST);
    const plan = await planFor(w);
    const result = await attempt(w, org, evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')]));
    expect(result.planDigest).toBe(plan.planDigest);
    expect(result.approvals.map((a) => [a.userId, a.layer])).toEqual([[reviewer.userId, 'review']]);
    expect(snapshot(w.path)).toContain('CREATE TABLE \\"artist\\"');
    expect(auditActions(w)).toEqual(['change.apply']);
  });

  describe('refuses, runs nothing and audits the refusal when the control plane', () => {
    type Case = [string, string, (plan: Plan) => { served: ApprovalEvidence }];
    const attacker = organisation([author, reviewer, dba]);
    const cases: Case[] = [
      [
        'forges an approval signature',
        'ISOTYP_NOT_APPROVED',
        (plan) => {
          const forged = approval(reviewer, plan, 'review');
          const sig = forged.sig;
          return {
            served: evidence(org, plan, 'chg_1', [{ ...forged, sig: `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}` }]),
          };
        },
      ],
      [
        'replays an approval of another change',
        'ISOTYP_NOT_APPROVED',
        (plan) => ({
          served: evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review', { changeId: 'chg_0' })]),
        }),
      ],
      [
        'edits the approved plan digest',
        'ISOTYP_DIGEST_MISMATCH',
        (plan) => ({
          served: evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')], {
            planDigest: `sha256:${'0'.repeat(64)}`,
          }),
        }),
      ],
      [
        'swaps the target',
        'ISOTYP_APPROVAL_INVALID',
        (plan) => ({
          served: evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')], { targetId: 'tgt_other' }),
        }),
      ],
      [
        'serves approvals bound to another target',
        'ISOTYP_NOT_APPROVED',
        (plan) => ({
          served: evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review', { targetId: 'tgt_other' })]),
        }),
      ],
      [
        'drops the layer that data loss requires',
        'ISOTYP_NOT_APPROVED',
        (plan) => ({ served: evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')]) }),
      ],
      [
        'serves an expired approval',
        'ISOTYP_NOT_APPROVED',
        (plan) => ({
          served: evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review', { expiresInMs: -1000 })]),
        }),
      ],
      [
        'signs the trust documents with a root of its own',
        'ISOTYP_TRUST_MISMATCH',
        (plan) => ({
          served: {
            ...evidence(attacker, plan, 'chg_1', [approval(reviewer, plan, 'review')]),
          },
        }),
      ],
      [
        'names another author so that the author can approve their own change',
        'ISOTYP_APPROVAL_INVALID',
        (plan) => ({
          served: evidence(org, plan, 'chg_1', [approval(author, plan, 'review')], { authorUserId: dba.userId }),
        }),
      ],
      [
        'moves the change to another environment',
        'ISOTYP_APPROVAL_INVALID',
        (plan) => ({
          served: {
            ...evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')]),
            environment: { ...ENVIRONMENT, name: 'staging' },
          },
        }),
      ],
    ];

    /** Why the agent did not count the approval served, where the change ends up short of approvals. */
    const REFUSED_AS: Record<string, string[]> = {
      'forges an approval signature': ['ISOTYP_SIGNATURE_INVALID'],
      'replays an approval of another change': ['ISOTYP_APPROVAL_INVALID'],
      'serves approvals bound to another target': ['ISOTYP_APPROVAL_INVALID'],
      'serves an expired approval': ['ISOTYP_APPROVAL_EXPIRED'],
    };

    it.each(cases)('%s (%s)', async (name, code, build) => {
      const w = world(name.includes('data loss') ? DROP_YEAR : ADD_ARTIST);
      const plan = await planFor(w);
      const { served } = build(plan);
      const before = snapshot(w.path);
      const error = await attempt(w, org, served).then(
        () => undefined,
        (e: unknown) => e as { code: string; details?: { refused?: { code: string }[] } },
      );
      expect(error?.code).toBe(code);
      // For a change short of approvals, why each approval did not count.
      if (code === 'ISOTYP_NOT_APPROVED')
        expect(error?.details?.refused?.map((r) => r.code)).toEqual(REFUSED_AS[name] ?? []);
      expect(snapshot(w.path)).toBe(before);
      expect(auditActions(w)).toEqual([`change.refused:${code}`]);
    });
  });

  it('tolerates an agent clock up to 5 minutes behind the approver’s, and refuses one further behind', async () => {
    const behind = (minutes: number) => () => new Date(Date.now() - minutes * 60_000);
    const tolerated = world(ADD_ARTIST);
    const plan = await planFor(tolerated);
    const result = await attempt(
      tolerated,
      org,
      evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')]),
      'chg_1',
      behind(4),
    );
    expect(result.approvals).toHaveLength(1);

    const refused = world(ADD_ARTIST);
    const again = await planFor(refused);
    const error = await attempt(
      refused,
      org,
      evidence(org, again, 'chg_1', [approval(reviewer, again, 'review')]),
      'chg_1',
      behind(6),
    ).then(
      () => undefined,
      (e: unknown) => e as { code: string; details: { refused: { code: string; reason: string }[] } },
    );
    expect(error?.code).toBe('ISOTYP_NOT_APPROVED');
    expect(error?.details.refused[0]?.reason).toContain('dated in the future');
  });

  it('refuses an approval nonce it already applied another change under', async () => {
    const w = world(ADD_ARTIST);
    const plan = await planFor(w);
    const first = approval(reviewer, plan, 'review');
    await attempt(w, org, evidence(org, plan, 'chg_1', [first]));

    // The next change on the same target, approved with a signature that reuses the nonce.
    writeFileSync(w.schema, `${ADD_ARTIST}\nCREATE INDEX album_title ON album (title);`);
    const next = await planFor(w);
    const reused = approval(reviewer, next, 'review', { changeId: 'chg_2', nonce: first.payload.nonce });
    const before = snapshot(w.path);
    await expect(attempt(w, org, evidence(org, next, 'chg_2', [reused]), 'chg_2')).rejects.toMatchObject({
      code: 'ISOTYP_APPROVAL_REPLAYED',
    });
    expect(snapshot(w.path)).toBe(before);
  });

  it('refuses a keyring older than one it already used', async () => {
    const newer = { ...org, keyringEnvelope: org.keyring(2, [author, reviewer, dba]) };
    const w = world(ADD_ARTIST);
    const plan = await planFor(w);
    await attempt(w, newer, evidence(newer, plan, 'chg_1', [approval(reviewer, plan, 'review')]));

    writeFileSync(w.schema, `${ADD_ARTIST}\nCREATE INDEX album_title ON album (title);`);
    const next = await planFor(w);
    const served = evidence(org, next, 'chg_2', [approval(reviewer, next, 'review', { changeId: 'chg_2' })]);
    await expect(attempt(w, org, served, 'chg_2')).rejects.toMatchObject({ code: 'ISOTYP_TRUST_MISMATCH' });
  });

  it('applies nothing when the live database moved since the plan was approved', async () => {
    const w = world(ADD_ARTIST);
    const plan = await planFor(w);
    const served = evidence(org, plan, 'chg_1', [approval(reviewer, plan, 'review')]);
    const copy = join(w.dir, 'moved.db');
    copyFileSync(w.path, copy);
    const db = new Database(w.path);
    db.exec('ALTER TABLE album ADD COLUMN label TEXT');
    db.close();
    const before = snapshot(w.path);
    await expect(attempt(w, org, served)).rejects.toMatchObject({ code: 'ISOTYP_DIGEST_MISMATCH' });
    expect(snapshot(w.path)).toBe(before);
  });
});
