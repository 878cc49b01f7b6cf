import { type ApplyResult, applyPlan, postgresRunner, schemaDigest, sqliteRunner } from '@isotyp/agent';
import { IsotypError, type Plan } from '@isotyp/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ApplierProcess, spawnApplier } from './support/applier-process.js';
import { bundleChild } from './support/bundle.js';
import {
  chinookPostgres,
  chinookSqlite,
  copyDatabase,
  copySqlite,
  planPostgres,
  planSqlite,
  scratchDir,
} from './support/fixtures.js';
import {
  postgresState,
  sqliteState,
  type TargetState,
  untilNoOtherSessions,
  withoutIndex,
} from './support/target-state.js';

/*
 * Issue 10, chaos: kill -9 the agent at random points of an apply, 200 runs (ISOTYP_CHAOS_KILL_RUNS),
 * 60% on PostgreSQL, 40% on SQLite files.
 *
 * Each run copies Chinook (with 80,000 extra invoice lines, so index builds and table
 * rebuilds take a while), starts a separate Node process that applies a real plan of the
 * agent's planner through the agent's real apply, and SIGKILLs it after a random delay drawn
 * from 0 to 1.4 × the median length of five uninterrupted applies measured first. Then, with
 * fresh connections:
 *  - the database is at the plan's fromDigest with no history, or at its toDigest with exactly
 *    one history row — never in between; the one exception is PostgreSQL's CREATE INDEX
 *    CONCURRENTLY, which cannot run in a transaction: there the database may stop between two
 *    operations, but only at a point recorded in the target's step log (the digest the log
 *    holds, give or take the index being built);
 *  - the next apply of the same plan (a new runner and connection: nothing survives but the
 *    database) resumes: a whole apply from "before", the rest from a step log, and "already
 *    applied" (ISOTYP_CONFLICT) from "after" — and every run ends at toDigest with one history
 *    row and an empty step log.
 * The child announces each phase of the apply as it starts; where each kill landed is counted,
 * and the test fails unless kills really landed throughout (before, inside the statements,
 * and after), so a run of the suite that only ever killed idle processes cannot pass.
 *
 * Bounded: runs are sequential, each waits at most 30 s for the killed session to go; the
 * whole file takes a few minutes on 2 cores (no time is asserted).
 */

const RUNS = Number(process.env.ISOTYP_CHAOS_KILL_RUNS ?? 200);
const POSTGRES_RUNS = Math.ceil(RUNS * 0.6);
const SQLITE_RUNS = RUNS - POSTGRES_RUNS;
const EXTRA_ROWS = 80_000;
/** Phases as apply.ts announces them; a kill is counted against the last one the test had heard. */
const PHASES = [
  'taking the lock',
  'checking the live schema',
  'running the statements',
  'checking the result',
  'recording the change',
];

type Outcome = 'before' | 'between' | 'after';

interface Dialect {
  name: 'postgres' | 'sqlite';
  plan: Plan;
  planFile: string;
  /** A fresh copy of the target: what the child gets, and how to read and clean it up. */
  fresh(): Promise<{ target: string; dispose: () => Promise<void> }>;
  /** The state once whatever the killed process left running on the server has ended. */
  settledState(target: string): Promise<TargetState>;
  resume(target: string): Promise<ApplyResult>;
}

/** Where a kill landed: the last phase heard (-1: none yet), or 'finished' when the child had reported done. */
function landing(applier: ApplierProcess): number | 'finished' {
  let last = -1;
  for (const e of applier.events) {
    if (e.event === 'done') return 'finished';
    if (e.event === 'phase') last = PHASES.indexOf(e.phase);
  }
  return last;
}

/** Asserts the killed run left the target before, after, or at a recorded step; says which. */
function classify(plan: Plan, state: TargetState): Outcome {
  const applied = state.history.filter((h) => h.direction === 'up');
  if (applied.length > 0) {
    expect(applied).toEqual([{ direction: 'up', planDigest: plan.planDigest, reverted: false }]);
    expect(state.digest).toBe(plan.toDigest);
    expect(state.steps).toEqual([]);
    return 'after';
  }
  if (state.steps.length === 0) {
    expect(state.digest).toBe(plan.fromDigest);
    return 'before';
  }
  // Only operations that cannot run in a transaction ever leave a step log.
  const last = state.steps.at(-1);
  if (last === undefined) throw new Error('unreachable');
  const op = plan.ops[last.opIndex];
  expect(op?.transactional).toBe(false);
  if (last.status === 'done') {
    expect(state.digest).toBe(last.digest);
  } else {
    // Killed during the build: the index may be absent, INVALID or even complete; without it
    // the schema is the one the log recorded when the step started.
    const index = op?.object.name.split('.').at(-1) ?? '';
    expect(schemaDigest(withoutIndex(state.model, index))).toBe(last.digest);
  }
  return 'between';
}

async function killRuns(dialect: Dialect, runs: number): Promise<void> {
  const bundle = await bundleChild('apply-child');
  const statements = dialect.plan.ops.reduce((n, op) => n + op.up.length, 0);
  const job = (target: string) => ({ dialect: dialect.name, target, planFile: dialect.planFile, actor: 'chaos' });

  // How long an uninterrupted apply takes here, from `go` to `done` as the child measures it
  // (and proof that it works): the median of five, as the machine's load varies.
  const lengths: number[] = [];
  const doneIn = (applier: ApplierProcess) => {
    const done = applier.events.find((e) => e.event === 'done');
    if (done?.event === 'done') lengths.push(done.ms);
  };
  const window = () => {
    const sorted = [...lengths].sort((a, b) => a - b);
    return 1.4 * (sorted[Math.floor(sorted.length / 2)] ?? 0);
  };
  for (let i = 0; i < 5; i++) {
    const copy = await dialect.fresh();
    const applier = spawnApplier(bundle, job(copy.target));
    await applier.ready;
    applier.go();
    expect(await applier.exited, applier.stderr()).toEqual({ code: 0, signal: null });
    expect(applier.events.at(-1)).toMatchObject({ event: 'done', statements });
    doneIn(applier);
    expect((await dialect.settledState(copy.target)).digest).toBe(dialect.plan.toDigest);
    await copy.dispose();
  }

  const tally = {
    outcomes: { before: 0, between: 0, after: 0 } as Record<Outcome, number>,
    landings: {} as Record<string, number>,
    /** Killed with its statements under way (or being checked, or recorded), yet found before. */
    rolledBack: 0,
  };
  // The next run's copy and (loading) child are made while this run is checked.
  const prepare = async () => {
    const copy = await dialect.fresh();
    return { copy, applier: spawnApplier(bundle, job(copy.target)) };
  };
  let next: ReturnType<typeof prepare> | undefined = prepare();
  try {
    for (let run = 0; run < runs; run++) {
      const { copy, applier } = await (next as ReturnType<typeof prepare>);
      next = undefined;
      await applier.ready;
      applier.go();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * window()));
      const landed = landing(applier);
      applier.kill();
      await applier.exited;
      if (run + 1 < runs) next = prepare();
      const key = landed === 'finished' ? 'finished' : landed < 0 ? 'not started' : (PHASES[landed] as string);
      tally.landings[key] = (tally.landings[key] ?? 0) + 1;

      const outcome = classify(dialect.plan, await dialect.settledState(copy.target));
      tally.outcomes[outcome]++;
      if (outcome === 'before' && typeof landed === 'number' && landed >= 2) tally.rolledBack++;

      // The next start: nothing but the database carries over.
      const resumed = await dialect.resume(copy.target).catch((error: unknown) => error);
      if (outcome === 'after') {
        expect(resumed).toBeInstanceOf(IsotypError);
        expect((resumed as IsotypError).code).toBe('ISOTYP_CONFLICT');
      } else {
        expect(resumed, String(resumed)).not.toBeInstanceOf(Error);
        const done = (resumed as ApplyResult).statements;
        if (outcome === 'before') expect(done).toBe(statements);
        else expect(done).toBeLessThan(statements);
      }
      const final = await dialect.settledState(copy.target);
      expect(final.digest).toBe(dialect.plan.toDigest);
      expect(final.history).toEqual([{ direction: 'up', planDigest: dialect.plan.planDigest, reverted: false }]);
      expect(final.steps).toEqual([]);
      await copy.dispose();
    }
  } finally {
    // A run that failed leaves the next one's child waiting for `go`.
    (await next?.catch(() => undefined))?.applier.kill();
  }

  console.info(`kill -9 during apply, ${dialect.name}: ${runs} runs, window ${Math.round(window())} ms`, tally);
  // Kills landed throughout: some before anything was changed, some inside the change (its
  // statements running or being checked), some after it finished.
  const inside = PHASES.slice(2).reduce((n, phase) => n + (tally.landings[phase] ?? 0), 0);
  expect(inside).toBeGreaterThanOrEqual(Math.ceil(runs / 5));
  expect(tally.outcomes.before).toBeGreaterThan(0);
  expect(tally.outcomes.after).toBeGreaterThan(0);
  if (dialect.name === 'postgres') {
    expect(tally.outcomes.between).toBeGreaterThanOrEqual(Math.ceil(runs / 20));
  } else {
    // SQLite: many kills inside the one transaction, every one of them rolled back whole.
    expect(tally.rolledBack).toBeGreaterThanOrEqual(Math.ceil(runs / 5));
    expect(tally.outcomes.between).toBe(0);
  }
}

describe('kill -9 the agent at random points of an apply', () => {
  describe('PostgreSQL (Chinook; CREATE INDEX CONCURRENTLY steps outside the transaction)', () => {
    let dialect: Dialect;
    beforeAll(async () => {
      const template = await chinookPostgres(EXTRA_ROWS);
      const fixture = { template, ...(await planPostgres(template)) };
      dialect = {
        name: 'postgres',
        plan: fixture.plan,
        planFile: fixture.planFile,
        fresh: async () => {
          const db = await copyDatabase(fixture.template);
          return { target: db.url, dispose: db.drop };
        },
        settledState: async (url) => {
          await untilNoOtherSessions(url);
          return postgresState(url);
        },
        resume: async (url) => {
          const runner = postgresRunner({ url });
          try {
            return await applyPlan(runner, fixture.plan, 'chaos-resume');
          } finally {
            await runner.close();
          }
        },
      };
    }, 120_000);

    it('leaves the database before, after or at a recorded step, and the next apply finishes it', async () => {
      expect(dialect.plan.ops.some((op) => !op.transactional)).toBe(true);
      await killRuns(dialect, POSTGRES_RUNS);
    }, 600_000);
  });

  describe('SQLite files (Chinook; a table rebuild, all in one transaction)', () => {
    let dialect: Dialect;
    beforeAll(async () => {
      const template = chinookSqlite(EXTRA_ROWS);
      const fixture = { template, ...(await planSqlite(template)) };
      const dir = scratchDir();
      dialect = {
        name: 'sqlite',
        plan: fixture.plan,
        planFile: fixture.planFile,
        fresh: async () => {
          const path = copySqlite(fixture.template, dir);
          return { target: path, dispose: async () => {} };
        },
        settledState: async (path) => sqliteState(path),
        resume: async (path) => {
          const runner = sqliteRunner(path);
          try {
            return await applyPlan(runner, fixture.plan, 'chaos-resume');
          } finally {
            await runner.close();
          }
        },
      };
    }, 120_000);

    it('leaves the file before or after the change, never between, and the next apply finishes it', async () => {
      expect(dialect.plan.ops.every((op) => op.transactional)).toBe(true);
      await killRuns(dialect, SQLITE_RUNS);
    }, 600_000);
  });
});
