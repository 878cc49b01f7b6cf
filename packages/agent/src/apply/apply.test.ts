import { IsotypError, type Plan, type PlanOperation, planDigest } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { introspectSqlite } from '../dialects/sqlite/introspect.js';
import { sqliteRunner } from '../dialects/sqlite/runner.js';
import { schemaDigest } from '../schema/schema-digest.js';
import { tempChinook } from '../test-support/temp-sqlite.js';
import { applyPlan, verifyPlanFile } from './apply.js';
import { detectDrift } from './drift.js';
import { rollbackLatest } from './rollback.js';
import type { ChangeRunner } from './session.js';

const runners: ChangeRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
});

function runner(path: string, lockTimeoutMs?: number): ChangeRunner {
  const r = sqliteRunner(path, lockTimeoutMs === undefined ? {} : { lockTimeoutMs });
  runners.push(r);
  return r;
}

function digestOf(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return schemaDigest(introspectSqlite(db));
  } finally {
    db.close();
  }
}

/** A hand-made plan (independent of the planner): the digests come from really running it on a copy. */
function planFor(ops: PlanOperation[]): Plan {
  const scratch = tempChinook();
  const fromDigest = digestOf(scratch);
  const db = new Database(scratch);
  for (const op of ops) db.exec(op.up.join(';\n'));
  const toDigest = schemaDigest(introspectSqlite(db));
  db.close();
  const body = { v: 1 as const, dialect: 'sqlite' as const, fromDigest, toDigest, ops };
  return { ...body, planDigest: planDigest(body) };
}

const addYear: PlanOperation = {
  action: 'add-column',
  object: { kind: 'column', namespace: 'main', name: 'Album.Year' },
  up: ['ALTER TABLE "Album" ADD COLUMN "Year" INTEGER'],
  down: ['ALTER TABLE "Album" DROP COLUMN "Year"'],
  irreversibleReason: null,
  risk: 'safe',
  lock: 'writes-blocked',
  dataLoss: false,
  transactional: true,
};
const dropGenreName: PlanOperation = {
  action: 'drop-column',
  object: { kind: 'column', namespace: 'main', name: 'Genre.Name' },
  up: ['ALTER TABLE "Genre" DROP COLUMN "Name"'],
  down: null,
  irreversibleReason: 'dropping Genre.Name discards its values',
  risk: 'destructive',
  lock: 'writes-blocked',
  dataLoss: true,
  transactional: true,
};

function codeOf(error: unknown): string {
  return error instanceof IsotypError ? error.code : String(error);
}

describe('apply, rollback and drift on SQLite', () => {
  it('applies a plan exactly, records it, and refuses to apply it twice', async () => {
    const path = tempChinook();
    const plan = planFor([addYear]);
    const phases: string[] = [];
    const result = await applyPlan(runner(path), plan, 'dba@example', {
      onPhase: (phase, index, total) => phases.push(`${index + 1}/${total} ${phase}`),
    });
    expect(result).toMatchObject({ fromVersion: '0.0.0', toVersion: '0.1.0', statements: 1, toDigest: plan.toDigest });
    // A terminal's progress bar follows these steps, in order.
    expect(phases).toEqual([
      '1/5 taking the lock',
      '2/5 checking the live schema',
      '3/5 running the statements',
      '4/5 checking the result',
      '5/5 recording the change',
    ]);
    expect(digestOf(path)).toBe(plan.toDigest);
    const rows = new Database(path).prepare('SELECT actor, plan_digest, direction FROM isotyp_history').all();
    expect(rows).toEqual([{ actor: 'dba@example', plan_digest: plan.planDigest, direction: 'up' }]);
    await expect(applyPlan(runner(path), plan, 'dba')).rejects.toMatchObject({ code: 'ISOTYP_CONFLICT' });
  });

  it('refuses a plan made for another database before running anything', async () => {
    const path = tempChinook();
    new Database(path).exec('CREATE TABLE other (id INTEGER)');
    const before = digestOf(path);
    await expect(applyPlan(runner(path), planFor([addYear]), 'dba')).rejects.toMatchObject({
      code: 'ISOTYP_DIGEST_MISMATCH',
    });
    expect(digestOf(path)).toBe(before);
  });

  it('refuses an edited plan file', () => {
    const plan = planFor([addYear]);
    const edited = JSON.parse(JSON.stringify(plan)) as Plan;
    (edited.ops[0] as PlanOperation).up = ['DROP TABLE "Album"'];
    expect(() => verifyPlanFile(edited)).toThrow(expect.objectContaining({ code: 'ISOTYP_DIGEST_MISMATCH' }));
    expect(() => verifyPlanFile({ ...plan, ops: 'x' })).toThrow(
      expect.objectContaining({ code: 'ISOTYP_INVALID_INPUT' }),
    );
    expect(verifyPlanFile(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it('rolls everything back when a statement fails or the result is not the planned schema', async () => {
    const path = tempChinook();
    const before = digestOf(path);
    const failing = planFor([addYear]);
    failing.ops = [{ ...addYear, up: [...addYear.up, 'ALTER TABLE "NoSuchTable" ADD COLUMN x INTEGER'] }];
    const broken = { ...failing, planDigest: planDigest(failing) };
    await expect(applyPlan(runner(path), broken, 'dba')).rejects.toMatchObject({ code: 'ISOTYP_APPLY_FAILED' });
    expect(digestOf(path)).toBe(before);

    const lying = planFor([addYear]);
    lying.toDigest = before;
    const wrongTarget = { ...lying, planDigest: planDigest(lying) };
    await expect(applyPlan(runner(path), wrongTarget, 'dba')).rejects.toMatchObject({ code: 'ISOTYP_APPLY_FAILED' });
    expect(digestOf(path)).toBe(before);
    // Even the history table created inside the failed transaction is gone.
    const history = new Database(path).prepare("SELECT name FROM sqlite_schema WHERE name = 'isotyp_history'").get();
    expect(history).toBeUndefined();
  });

  it('rolls back the latest change to the original digest, once', async () => {
    const path = tempChinook();
    const before = digestOf(path);
    await applyPlan(runner(path), planFor([addYear]), 'dba');
    const result = await rollbackLatest(runner(path), 'dba');
    expect(result).toMatchObject({ toDigest: before, toVersion: '0.0.0', skipped: [] });
    expect(digestOf(path)).toBe(before);
    await expect(rollbackLatest(runner(path), 'dba')).rejects.toMatchObject({ code: 'ISOTYP_NOT_FOUND' });
  });

  it('refuses to roll back an irreversible change unless forced, saying what is lost', async () => {
    const path = tempChinook();
    await applyPlan(runner(path), planFor([addYear, dropGenreName]), 'dba');
    const error = await rollbackLatest(runner(path), 'dba').catch((e: unknown) => e);
    expect(codeOf(error)).toBe('ISOTYP_IRREVERSIBLE');
    expect((error as IsotypError).message).toContain('Genre.Name');
    const forced = await rollbackLatest(runner(path), 'dba', true);
    expect(forced.skipped).toEqual([
      { action: 'drop-column', object: 'main.Genre.Name', reason: 'dropping Genre.Name discards its values' },
    ]);
  });

  it('reports drift against the last applied state, naming the objects', async () => {
    const path = tempChinook();
    expect(await detectDrift(runner(path))).toMatchObject({ drifted: false, expected: null });
    await applyPlan(runner(path), planFor([addYear]), 'dba');
    expect(await detectDrift(runner(path))).toMatchObject({ drifted: false });
    new Database(path).exec('CREATE INDEX by_title ON "Album" ("Title")');
    const report = await detectDrift(runner(path));
    expect(report.drifted).toBe(true);
    expect(report.objects).toEqual(['alter-table main.Album']);
  });

  it('makes a second writer wait, then give up with ISOTYP_LOCK_TIMEOUT, changing nothing', async () => {
    const path = tempChinook();
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(applyPlan(runner(path, 200), planFor([addYear]), 'dba')).rejects.toMatchObject({
        code: 'ISOTYP_LOCK_TIMEOUT',
      });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(await applyPlan(runner(path), planFor([addYear]), 'dba')).toMatchObject({ toVersion: '0.1.0' });
  });
});
