import { rmSync } from 'node:fs';
import { postgresRunner, rollbackLatest } from '@isotyp/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_SQL } from '../../packages/agent/src/test-support/postgres-plan.js';
import { tempDatabase } from '../../scripts/test-support/postgres.js';
import { bundleChild } from './support/bundle.js';
import {
  chinookSqlite,
  copyDatabase,
  copySqlite,
  type PlannedChange,
  planPostgresFrom,
  planSqlite,
  scratchDir,
  sqliteDesired,
} from './support/fixtures.js';
import type { RaceAnswer } from './support/race-child.js';
import { type Applier, startAppliers } from './support/race-pool.js';
import { postgresState, sqliteState, type TargetState } from './support/target-state.js';

/*
 * Issue 10, chaos: 2–8 appliers racing for one target, 1,000 runs (ISOTYP_CHAOS_RACE_RUNS),
 * 30% on PostgreSQL, 70% on SQLite files — zero double applies.
 *
 * Applier processes stay up for the whole file; each race hands one target to a random 2 to 8
 * of them at once, each opening its own connection and applying through the agent's real
 * apply (lock, digest check, statements, history). Half of the races carry one plan; the other
 * half two different plans made from the same schema (two people's changes). Every race must
 * end with exactly one applier reporting success, the target at the winner's toDigest with
 * exactly one new history row for it, every twin of the winner told ISOTYP_CONFLICT (already
 * applied) and every applier of the other plan ISOTYP_DIGEST_MISMATCH — no lock timeout, no
 * failed statement, nothing that is not an IsotypError. A double apply shows as a second
 * success, a second history row, or a failing statement.
 * The appliers' start and end times (epoch ms, across processes) prove the races were real:
 * the test fails unless, in most of them, another applier started before the winner finished.
 *
 * Between races a SQLite target is a fresh copy of Chinook; a PostgreSQL one (a small shop
 * schema with rows) is put back with the agent's rollback (its history keeps every up and down
 * row, which the count allows for). Bounded: races on separate targets run side by side in a
 * few lanes (below), one race at a time in each, at most 8 appliers a race; the file takes
 * 1–2 minutes on 2 cores (no time is asserted).
 */

const RUNS = Number(process.env.ISOTYP_CHAOS_RACE_RUNS ?? 1000);
const POSTGRES_RUNS = Math.round(RUNS * 0.3);
const SQLITE_RUNS = RUNS - POSTGRES_RUNS;
const MAX_APPLIERS = 8;
/**
 * Races on separate targets run side by side in lanes, so that a thousand races fit in a minute
 * or two (appliers spend most of a race waiting for the lock); within a lane, one race at a
 * time. PostgreSQL lanes share eight applier processes (each job its own connection; no race
 * gives a process two jobs); SQLite lanes have eight each, as better-sqlite3 blocks its process
 * while it waits for the file's lock.
 */
const LANES = { postgres: 6, sqlite: 3 };

let bundle: string;
beforeAll(async () => {
  bundle = await bundleChild('race-child');
}, 60_000);
const pools: Applier[][] = [];
afterAll(async () => {
  await Promise.all(pools.flat().map((a) => a.stop()));
});

interface RaceTally {
  appliers: Record<number, number>;
  outcomes: Record<string, number>;
  /** Races in which at least one loser started before the winner had finished. */
  overlapping: number;
}

/** A random order of `items`. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

interface Lane {
  dialect: 'postgres' | 'sqlite';
  appliers: Applier[];
  plans: [PlannedChange, PlannedChange];
  /** The target of the next race, and how to read it and put it back afterwards. */
  target(): Promise<string>;
  read(target: string): Promise<TargetState>;
  /** History rows the target holds before a race (the rollbacks of earlier races included). */
  historyBefore: number;
  reset(target: string, winner: PlannedChange): Promise<void>;
}

/**
 * One race on `lane`: 2–8 of its appliers at once, one or two plans; asserts the outcome —
 * exactly one success and one new history row — and counts it in `tally`.
 */
async function race(lane: Lane, tally: RaceTally): Promise<void> {
  const target = await lane.target();
  const n = 2 + Math.floor(Math.random() * (MAX_APPLIERS - 1));
  const two = Math.random() < 0.5;
  const carried = Array.from({ length: n }, (_, i) => (two && i % 2 === 1 ? lane.plans[1] : lane.plans[0]));
  const answers: RaceAnswer[] = await Promise.all(
    shuffled(lane.appliers)
      .slice(0, n)
      .map((applier, i) =>
        applier.run({ dialect: lane.dialect, target, planFile: (carried[i] as PlannedChange).planFile }),
      ),
  );
  tally.appliers[n] = (tally.appliers[n] ?? 0) + 1;
  for (const a of answers) tally.outcomes[a.outcome] = (tally.outcomes[a.outcome] ?? 0) + 1;

  const winners = answers.flatMap((a, i) => (a.outcome === 'ok' ? [i] : []));
  expect(winners, JSON.stringify(answers)).toHaveLength(1);
  const w = winners[0] as number;
  const winner = carried[w] as PlannedChange;
  const won = answers[w] as RaceAnswer;
  const expected = carried.map((p, i) =>
    i === w ? 'ok' : p === winner ? 'ISOTYP_CONFLICT' : 'ISOTYP_DIGEST_MISMATCH',
  );
  expect(answers.map((a) => a.outcome)).toEqual(expected);
  if (answers.some((a, i) => i !== w && a.startedAt < won.endedAt)) tally.overlapping++;

  const after = await lane.read(target);
  expect(after.digest).toBe(winner.plan.toDigest);
  expect(after.history.slice(lane.historyBefore)).toEqual([
    { direction: 'up', planDigest: winner.plan.planDigest, reverted: false },
  ]);
  await lane.reset(target, winner);
}

/** `runs` races shared out over the lanes, which run side by side. */
async function raceLanes(name: string, lanes: Lane[], runs: number): Promise<void> {
  const tally: RaceTally = { appliers: {}, outcomes: {}, overlapping: 0 };
  let next = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < runs) {
        next++;
        await race(lane, tally);
      }
    }),
  );
  console.info(`${name}: ${runs} races in ${lanes.length} lanes`, tally);
  expect(Object.values(tally.appliers).reduce((a, b) => a + b, 0)).toBe(runs);
  // Every race had exactly one winner (checked in race()); here: they really raced.
  expect(tally.overlapping).toBeGreaterThanOrEqual(Math.ceil(runs * 0.5));
  // Every field size from 2 to 8 came up (hundreds of draws of 7 values).
  if (runs >= 100) expect(Object.keys(tally.appliers).map(Number)).toEqual([2, 3, 4, 5, 6, 7, 8]);
}

function pool(): Applier[] {
  const appliers = startAppliers(bundle, MAX_APPLIERS);
  pools.push(appliers);
  return appliers;
}

// The two dialects race at once: PostgreSQL appliers mostly wait for the lock, SQLite's mostly compute.
describe.concurrent('2–8 appliers racing for one target', () => {
  it(`PostgreSQL: ${POSTGRES_RUNS} races, each change applied exactly once`, async () => {
    const template = (await tempDatabase(SHOP_SQL)).name;
    const plans: [PlannedChange, PlannedChange] = [
      await planPostgresFrom(
        template,
        SHOP_SQL,
        'ALTER TABLE customer ADD COLUMN tier text; CREATE INDEX customer_email_idx ON customer (email);',
      ),
      await planPostgresFrom(template, SHOP_SQL, 'ALTER TABLE orders ADD COLUMN placed_at timestamptz;'),
    ];
    const appliers = pool();
    const lanes = await Promise.all(
      Array.from({ length: LANES.postgres }, async (): Promise<Lane> => {
        const db = await copyDatabase(template);
        const lane: Lane = {
          dialect: 'postgres',
          appliers,
          plans,
          target: async () => db.url,
          read: postgresState,
          historyBefore: 0,
          // Back to the start for the next race, through the agent's own rollback.
          reset: async (url, winner) => {
            const runner = postgresRunner({ url });
            try {
              expect(await rollbackLatest(runner, 'chaos-reset')).toMatchObject({ toDigest: winner.plan.fromDigest });
            } finally {
              await runner.close();
            }
            // The race's up row, now marked reverted, and the rollback's down row.
            lane.historyBefore += 2;
          },
        };
        return lane;
      }),
    );
    await raceLanes('racing appliers, postgres', lanes, POSTGRES_RUNS);
  }, 600_000);

  it(`SQLite: ${SQLITE_RUNS} races, each on a fresh Chinook file, each change applied exactly once`, async () => {
    const template = chinookSqlite(0);
    const other = sqliteDesired().replace(
      '[Name] NVARCHAR(120),\n    CONSTRAINT [PK_Artist]',
      '[Name] NVARCHAR(120),\n    [Country] NVARCHAR(40),\n    CONSTRAINT [PK_Artist]',
    );
    const plans: [PlannedChange, PlannedChange] = [await planSqlite(template), await planSqlite(template, other)];
    expect(plans[1].plan.planDigest).not.toBe(plans[0].plan.planDigest);
    const dir = scratchDir();
    const lanes = Array.from(
      { length: LANES.sqlite },
      (): Lane => ({
        dialect: 'sqlite',
        appliers: pool(),
        plans,
        target: async () => copySqlite(template, dir),
        read: async (path) => sqliteState(path),
        historyBefore: 0,
        reset: async (path) => rmSync(path),
      }),
    );
    await raceLanes('racing appliers, sqlite', lanes, SQLITE_RUNS);
  }, 600_000);
});
