// What leaves a site: the whole governed lifecycle — plan, submit, approve, a CI job's
// zero-trust apply — run with the real `isotyp` binary against Chinook on PostgreSQL, through a
// proxy that records every byte the control plane receives (request lines, headers, bodies).
// Canary strings sit in rows, in a column default, in the database password and in comments of
// the desired schema; none may reach the control plane in privacy modes `digest` and
// `structure`. Mode `full` sends the DDL by design — the default's canary shows up there, which
// proves the recorder sees what is sent — and still never a row, a password or a comment line.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINOOK_POSTGRES_SQL } from '../../packages/agent/src/test-support/postgres-fixtures.js';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../packages/cli/src/services/control-plane/test-support/live-control-plane.js';
import { controlPlaneProxy } from '../../packages/cli/src/services/control-plane/test-support/proxy.js';
import { runCliAsync, scratchHome } from '../../packages/cli/src/services/control-plane/test-support/run-cli-async.js';
import { queryRows, runSql, tempDatabase } from '../../scripts/test-support/postgres.js';

const CANARY = {
  row: 'CANARY-row-7f3a21',
  default: 'CANARY-default-91c2e0',
  password: 'CANARY-password-5d1e77',
  ddlComment: 'CANARY-ddl-comment-b4e8f2',
  objectComment: 'CANARY-object-comment-c0d9aa',
};
const MODES = ['digest', 'structure', 'full'] as const;
type Mode = (typeof MODES)[number];

const admin = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };
const reviewer = { email: 'ben@acme.test', password: 'ben-s3cret-passphrase' };

/** Chinook's tables and keys without its rows: the desired state starts from the same schema. */
function chinookDdl(): string {
  const statements: string[] = [];
  let current: string[] | undefined;
  for (const line of readFileSync(CHINOOK_POSTGRES_SQL, 'utf8').split('\n')) {
    if (current === undefined && /^(CREATE (TABLE|INDEX|UNIQUE INDEX)|ALTER TABLE) /.test(line)) current = [];
    if (current === undefined) continue;
    current.push(line);
    if (line.trimEnd().endsWith(';')) {
      statements.push(current.join('\n'));
      current = undefined;
    }
  }
  return statements.join('\n\n');
}

/** Every request the control plane gets, as bytes, tagged with the phase it belongs to. */
interface Recorded {
  phase: string;
  bytes: string;
}

async function recordingProxy(upstream: string, phase: () => string) {
  const recorded: Recorded[] = [];
  const proxy = await controlPlaneProxy(upstream, { onRequest: (bytes) => recorded.push({ phase: phase(), bytes }) });
  return { ...proxy, recorded };
}

describe('egress canary: what the control plane receives from a whole lifecycle on Chinook (PostgreSQL)', () => {
  let cp: LiveControlPlane;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let phase = 'setup';
  const homes = { admin: scratchHome(), reviewer: scratchHome(), ci: scratchHome() };
  const outcome = {} as Record<Mode, { state: string; targetDigest: string; liveDigest: string }>;

  const cli = async (home: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}) => {
    const result = await runCliAsync([...args, '--json'], {
      home,
      input: options.input ?? '',
      env: { ISOTYP_SERVER: proxy.url, ...options.env },
    });
    if (result.status !== 0)
      throw new Error(`isotyp ${args.join(' ')} → ${result.status}\n${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    cp = await startLiveControlPlane({ org: 'acme', admin });
    proxy = await recordingProxy(cp.url, () => phase);
    const adminToken = await cp.login(admin.email, admin.password);
    await cp.createUser(adminToken, { ...reviewer, grants: [{ role: 'approver', scope: { kind: 'org' } }] });
    for (const [home, who] of [
      [homes.admin, admin],
      [homes.reviewer, reviewer],
    ] as const) {
      await cli(home, ['login', '--org', 'acme', '--email', who.email, '--password-stdin'], { input: who.password });
      await cli(home, ['keys', 'generate']);
    }
    await cli(homes.admin, ['org', 'init']);
    await cli(homes.admin, ['projects', 'create', 'music']);
    const rootKeyId = JSON.parse(readFileSync(join(homes.admin, '.isotyp', 'keys', 'org-root.key'), 'utf8')).keyId;

    const desired = join(homes.admin, 'schema.sql');
    writeFileSync(
      desired,
      `${chinookDdl()}\n\n-- ${CANARY.ddlComment}: the label column, for the record shops\n` +
        `ALTER TABLE artist ADD COLUMN label VARCHAR(120) DEFAULT '${CANARY.default}';\n` +
        `COMMENT ON COLUMN artist.label IS '${CANARY.objectComment}';\n`,
    );

    for (const mode of MODES) {
      phase = mode;
      const db = await tempDatabase(
        readFileSync(CHINOOK_POSTGRES_SQL, 'utf8')
          .split('\n')
          .filter((line) => !/^(\\c |DROP DATABASE|CREATE DATABASE)/.test(line))
          .join('\n'),
      );
      await runSql(db.url, `INSERT INTO artist (artist_id, name) VALUES (9001, '${CANARY.row}')`);
      // The server trusts loopback, so the password is never checked — but the agent holds it.
      const role = `isotyp_canary_${mode}`;
      await runSql(
        db.url,
        `DO $$ BEGIN CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${CANARY.password}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
      );
      const target = new URL(db.url);
      target.username = role;
      target.password = CANARY.password;

      await cli(homes.admin, ['envs', 'create', mode, '--project', 'music', '--privacy-mode', mode]);
      const created = await cli(homes.admin, [
        'targets',
        'create',
        `chinook-${mode}`,
        '--project',
        'music',
        '--env',
        mode,
        '--dialect',
        'postgres',
      ]);
      const plan = join(homes.admin, `plan-${mode}.json`);
      await cli(homes.admin, ['plan', '--target', target.toString(), '--schema', desired, '--out', plan]);
      const change = await cli(homes.admin, [
        'submit',
        '--plan',
        plan,
        '--project',
        'music',
        '--env',
        mode,
        '--target',
        `chinook-${mode}`,
      ]);
      await cli(homes.reviewer, ['approve', change.id]);
      const token = (
        await cli(homes.admin, [
          'tokens',
          'create',
          '--name',
          `deploy-${mode}`,
          '--project',
          'music',
          '--env',
          mode,
          '--actions',
          'apply',
        ])
      ).token;
      const applied = await cli(
        homes.ci,
        [
          'apply',
          '--change',
          change.id,
          '--target',
          target.toString(),
          '--schema',
          desired,
          '--target-id',
          created.id,
          '--env',
          mode,
          '--org-root',
          rootKeyId,
          '--yes',
        ],
        { env: { ISOTYP_TOKEN: token } },
      );
      const stored = await cp.store.targets.get('acme', created.id);
      outcome[mode] = {
        state: (await cp.store.changes.get('acme', change.id))?.state ?? 'missing',
        targetDigest: stored?.digest ?? 'missing',
        liveDigest: applied.toDigest,
      };
      // The column and its default are really in the database: the canary was in play.
      const [column] = await queryRows<{ d: string }>(
        db.url,
        "SELECT column_default AS d FROM information_schema.columns WHERE table_name = 'artist' AND column_name = 'label'",
      );
      expect(column?.d).toContain(CANARY.default);
    }
    phase = 'done';
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await cp?.close();
  });

  const sent = (mode: string) =>
    proxy.recorded
      .filter((r) => r.phase === mode)
      .map((r) => r.bytes)
      .join('\n');

  it('took each change all the way: submitted, approved, applied by the CI job, recorded on its target', () => {
    for (const mode of MODES) {
      expect(outcome[mode].state).toBe('applied');
      expect(outcome[mode].targetDigest).toBe(outcome[mode].liveDigest);
      // The recorder saw the lifecycle: the submission, the approval, the apply's transitions.
      expect(sent(mode)).toMatch(/POST \/v1\/changes\n/);
      expect(sent(mode)).toMatch(/POST \/v1\/changes\/[^/]+\/approvals/);
      expect(sent(mode)).toContain('"to":"applied"');
    }
  });

  it.each(['digest', 'structure'] as const)('sends no canary at all in mode %s', (mode) => {
    const bytes = sent(mode);
    for (const canary of Object.values(CANARY)) expect(bytes).not.toContain(canary);
  });

  it('names objects only from mode structure on, and sends DDL only in mode full', () => {
    expect(sent('digest')).not.toContain('artist');
    expect(sent('structure')).toContain('artist');
    expect(sent('structure')).not.toMatch(/ALTER TABLE/);
    // Full mode's DDL carries the default: the recorder does see what is sent.
    expect(sent('full')).toContain(CANARY.default);
    for (const canary of [CANARY.row, CANARY.password, CANARY.ddlComment]) expect(sent('full')).not.toContain(canary);
  });

  it('never sends a row, the database password or a schema comment line in any phase', () => {
    const everything = proxy.recorded.map((r) => r.bytes).join('\n');
    for (const canary of [CANARY.row, CANARY.password, CANARY.ddlComment]) expect(everything).not.toContain(canary);
  });
});
