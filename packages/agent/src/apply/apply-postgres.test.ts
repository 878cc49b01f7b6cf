import { digest, type IsotypError, type Plan, planDigest } from '@isotyp/protocol';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { introspectPostgres } from '../dialects/postgres/introspect.js';
import { postgresRunner } from '../dialects/postgres/runner.js';
import { queryRows, runSql, tempDatabase } from '../test-support/postgres.js';
import {
  addPlaced,
  addTier,
  codeOf,
  digestOf,
  historyRows,
  pgOp,
  pgRunner,
  postgresPlanFor,
  SHOP_SQL,
} from '../test-support/postgres-plan.js';
import { applyPlan } from './apply.js';
import { detectDrift } from './drift.js';
import { rollbackLatest } from './rollback.js';

const dropName = pgOp({
  action: 'drop-column',
  object: { kind: 'column', namespace: 'public', name: 'customer.name' },
  up: ['ALTER TABLE public.customer DROP COLUMN name'],
  down: null,
  irreversibleReason: 'dropping customer.name discards its values',
  risk: 'destructive',
  dataLoss: true,
});

async function isotypSchemaExists(url: string): Promise<boolean> {
  const rows = await queryRows<{ n: number }>(
    url,
    "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'isotyp'",
  );
  return rows[0]?.n === 1;
}

describe('apply, rollback and drift on PostgreSQL', () => {
  it('applies a plan exactly, records it with a checksum, and refuses to apply it twice', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const plan = await postgresPlanFor(SHOP_SQL, [addTier, addPlaced]);
    const result = await applyPlan(pgRunner(db.url), plan, 'dba@example');
    expect(result).toMatchObject({ fromVersion: '0.0.0', toVersion: '0.1.0', statements: 2, toDigest: plan.toDigest });
    expect(await digestOf(db.url)).toBe(plan.toDigest);
    expect(await historyRows(db.url)).toEqual([
      expect.objectContaining({
        direction: 'up',
        actor: 'dba@example',
        plan_digest: plan.planDigest,
        to_version: '0.1.0',
      }),
    ]);

    // The checksum covers the row as written, and the plan and model come back as they went in.
    const [stored] = await queryRows<{ checksum: string; plan: Plan; kinds: string }>(
      db.url,
      "SELECT checksum, plan, jsonb_typeof(plan) || ',' || jsonb_typeof(model) AS kinds FROM isotyp.history",
    );
    expect(stored?.kinds).toBe('object,object');
    expect(stored?.plan).toEqual(plan);
    const latest = await pgRunner(db.url).read((s) => s.latestApplied());
    const { id: _id, revertedById: _by, ...row } = latest ?? expect.unreachable();
    expect(stored?.checksum).toBe(digest('history-entry', row));

    await expect(applyPlan(pgRunner(db.url), plan, 'dba')).rejects.toMatchObject({ code: 'ISOTYP_CONFLICT' });
    expect(await historyRows(db.url)).toHaveLength(1);
  });

  it('refuses a plan made for another database before running anything', async () => {
    const db = await tempDatabase(`${SHOP_SQL}; CREATE TABLE other (id int)`);
    const before = await digestOf(db.url);
    await expect(applyPlan(pgRunner(db.url), await postgresPlanFor(SHOP_SQL, [addTier]), 'dba')).rejects.toMatchObject({
      code: 'ISOTYP_DIGEST_MISMATCH',
    });
    expect(await digestOf(db.url)).toBe(before);
    expect(await isotypSchemaExists(db.url)).toBe(false);
  });

  it('names the failing statement, the server message and SQLSTATE, and keeps nothing', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const before = await digestOf(db.url);
    const good = await postgresPlanFor(SHOP_SQL, [addTier]);
    const body = { ...good, ops: [addTier, { ...addPlaced, up: ['ALTER TABLE public.no_such ADD COLUMN x int'] }] };
    const broken = { ...body, planDigest: planDigest(body) };
    const error = (await applyPlan(pgRunner(db.url), broken, 'dba').catch((e: unknown) => e)) as IsotypError;
    expect(error.code).toBe('ISOTYP_APPLY_FAILED');
    expect(error.message).toBe('Statement 2 failed: relation "public.no_such" does not exist (SQLSTATE 42P01).');
    expect(error.details).toMatchObject({ statement: 2, sqlState: '42P01' });
    expect(await digestOf(db.url)).toBe(before);
    // Even the bookkeeping schema created inside the failed transaction is gone.
    expect(await isotypSchemaExists(db.url)).toBe(false);

    // The lock went with the failure: the next apply does not wait for it.
    expect(await applyPlan(pgRunner(db.url, { lockTimeoutMs: 100 }), good, 'dba')).toMatchObject({
      toVersion: '0.1.0',
    });
  });

  it('rolls the latest change back to the original digest, once', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const before = await digestOf(db.url);
    const plan = await postgresPlanFor(SHOP_SQL, [addTier, addPlaced]);
    await applyPlan(pgRunner(db.url), plan, 'dba');
    const result = await rollbackLatest(pgRunner(db.url), 'ops');
    expect(result).toMatchObject({ toDigest: before, toVersion: '0.0.0', skipped: [] });
    expect(await digestOf(db.url)).toBe(before);
    expect(await historyRows(db.url)).toEqual([
      expect.objectContaining({ id: 1, direction: 'up', reverted_by_id: 2 }),
      expect.objectContaining({ id: 2, direction: 'down', actor: 'ops', reverts_id: 1, to_version: '0.0.0' }),
    ]);
    await expect(rollbackLatest(pgRunner(db.url), 'ops')).rejects.toMatchObject({ code: 'ISOTYP_NOT_FOUND' });
    // The same plan applies again after its rollback.
    expect(await applyPlan(pgRunner(db.url), plan, 'dba')).toMatchObject({ toVersion: '0.1.0' });
  });

  it('refuses to roll back an irreversible change unless forced, saying what is lost', async () => {
    const db = await tempDatabase(SHOP_SQL);
    await applyPlan(pgRunner(db.url), await postgresPlanFor(SHOP_SQL, [addTier, dropName]), 'dba');
    const error = (await rollbackLatest(pgRunner(db.url), 'dba').catch((e: unknown) => e)) as IsotypError;
    expect(codeOf(error)).toBe('ISOTYP_IRREVERSIBLE');
    expect(error.message).toContain('public.customer.name');
    const forced = await rollbackLatest(pgRunner(db.url), 'dba', true);
    expect(forced.skipped).toEqual([
      { action: 'drop-column', object: 'public.customer.name', reason: 'dropping customer.name discards its values' },
    ]);
    const columns = await queryRows<{ column_name: string }>(
      db.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'customer' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'email']);
  });

  it('reports drift after a manual ALTER TABLE, naming the object', async () => {
    const db = await tempDatabase(SHOP_SQL);
    expect(await detectDrift(pgRunner(db.url))).toMatchObject({ drifted: false, expected: null });
    await applyPlan(pgRunner(db.url), await postgresPlanFor(SHOP_SQL, [addTier]), 'dba');
    expect(await detectDrift(pgRunner(db.url))).toMatchObject({ drifted: false });
    await runSql(db.url, "ALTER TABLE customer ALTER COLUMN tier SET DEFAULT 'basic'");
    const report = await detectDrift(pgRunner(db.url));
    expect(report.drifted).toBe(true);
    expect(report.objects).toEqual(['alter-table public.customer']);
    // The down statements were written for the state the apply left: refused before running.
    await expect(rollbackLatest(pgRunner(db.url), 'dba')).rejects.toMatchObject({ code: 'ISOTYP_DRIFT_DETECTED' });
    expect((await detectDrift(pgRunner(db.url))).live).toBe(report.live);
  });

  it('keeps its own schema out of introspection and the digest', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const before = await digestOf(db.url);
    await applyPlan(pgRunner(db.url), await postgresPlanFor(SHOP_SQL, [addTier]), 'dba');
    await rollbackLatest(pgRunner(db.url), 'dba');
    expect(await isotypSchemaExists(db.url)).toBe(true);
    expect(await digestOf(db.url)).toBe(before);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const model = await introspectPostgres(client).finally(() => client.end());
    expect(model.namespaces.map((n) => n.name)).toEqual(['public']);
  });

  it("runs unqualified statements with the role's settings, not the ones introspection pins", async () => {
    // Versioned migration files are often written without schema names.
    const note = pgOp({
      action: 'create-table',
      object: { kind: 'table', namespace: 'public', name: 'note' },
      up: ['CREATE TABLE note (id int PRIMARY KEY, at date DEFAULT CURRENT_DATE)'],
      down: ['DROP TABLE note'],
    });
    const db = await tempDatabase(SHOP_SQL);
    const plan = await postgresPlanFor(SHOP_SQL, [note]);
    await applyPlan(pgRunner(db.url), plan, 'dba');
    expect(await digestOf(db.url)).toBe(plan.toDigest);
    await rollbackLatest(pgRunner(db.url), 'dba');
    expect(await digestOf(db.url)).toBe(plan.fromDigest);
  });

  it('reports an unreachable server without the password', async () => {
    const runner = postgresRunner({ url: 'postgres://app:hunter2secret@127.0.0.1:1/app', connectTimeoutMs: 2_000 });
    const error = (await applyPlan(runner, await postgresPlanFor(SHOP_SQL, [addTier]), 'dba').catch(
      (e: unknown) => e,
    )) as IsotypError;
    expect(error.code).toBe('ISOTYP_TARGET_UNREACHABLE');
    expect(JSON.stringify({ ...error.toJSON(), message: error.message, hint: error.hint })).not.toContain('hunter2');
    await expect(detectDrift(runner)).rejects.toMatchObject({ code: 'ISOTYP_TARGET_UNREACHABLE' });
  });
});
