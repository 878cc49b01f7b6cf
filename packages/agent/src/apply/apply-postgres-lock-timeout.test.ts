import { IsotypError } from '@isotyp/protocol';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresRunner } from '../dialects/postgres/runner.js';
import { tempDatabase } from '../test-support/postgres.js';
import { addTier, digestOf, postgresPlanFor, SHOP_SQL } from '../test-support/postgres-plan.js';
import { applyPlan } from './apply.js';

describe('a DDL statement stuck behind an application transaction', () => {
  it('gives up after the lock timeout with ISOTYP_LOCK_TIMEOUT and changes nothing', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    const runner = postgresRunner({ url: db.url }, { ddlLockTimeoutMs: 300 });
    try {
      const before = await digestOf(db.url);
      // A long-running application transaction that has read the table holds ACCESS SHARE on it.
      await app.query('BEGIN');
      await app.query('SELECT count(*) FROM public.customer');
      const error = await applyPlan(runner, await postgresPlanFor(SHOP_SQL, [addTier]), 'dba').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IsotypError);
      expect((error as IsotypError).code).toBe('ISOTYP_LOCK_TIMEOUT');
      expect((error as IsotypError).retryable).toBe(true);
      await app.query('ROLLBACK');
      expect(await digestOf(db.url)).toBe(before);
      // Once the application's transaction has ended, the same apply goes through.
      await expect(applyPlan(runner, await postgresPlanFor(SHOP_SQL, [addTier]), 'dba')).resolves.toMatchObject({
        toVersion: '0.1.0',
      });
    } finally {
      await app.end();
      await runner.close();
      await db.drop();
    }
  });
});
