// The agent on a large PostgreSQL database: introspection of a generated 5,000-table schema
// side by side with `pg_dump --schema-only` of the same database, and the plan of a 1% change
// to it including the introspection of the live database (goals in issue 3: introspection
// ≤ 0.5× pg_dump's time, plan < 1 s). Starts its own throwaway server (scripts/pg-server.mjs)
// and removes it at the end, also on error or Ctrl-C.
//
// Each measured task runs once to warm up, then RUNS times (default 5, BENCH_RUNS raises it),
// interleaved (a, b, c, a, b, c, …) so a busy machine weighs on all of them alike; the table
// reports the median. Loading the schema and the cold path through a scratch database are
// timed once. INTROSPECT_TABLES changes the table count (default 5,000) for quick tries.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startPostgres } from '../scripts/pg-server.mjs';
import { importBuilt, ROOT, requireFrom, runSql, withDatabase } from './harness.mjs';
import { applyChange, changedTables, schemaStatements } from './pg-schema.mjs';

export const title = 'agent: PostgreSQL introspection and planning at 5,000 tables';

const TABLES = Number(process.env.INTROSPECT_TABLES ?? 5000);
/** 1% of the tables: half gain a column, half an index. */
const CHANGED = Math.max(2, Math.round(TABLES / 100));
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
/** Tables per multi-statement query when loading; each batch is one transaction. */
const LOAD_BATCH = 500;
const PLANNER = `${ROOT}packages/agent/dist/dialects/postgres/planner.js`;

const run = promisify(execFile);
const count = (n) => n.toLocaleString('en-US');

export default async function bench() {
  const agent = await importBuilt('agent');
  const pg = requireFrom('agent', 'pg');
  const planner = existsSync(PLANNER) ? (await import(pathToFileURL(PLANNER).href)).postgresPlanner : undefined;

  const once = [];
  const notes = [];
  let started = performance.now();
  const server = await startPostgres({
    // No autovacuum waking up in the middle of a measurement; the catalogues are analysed
    // explicitly after the load instead, as they would be on a database in use.
    extraConf: { autovacuum: 'off' },
    stopOnSignals: true,
  });
  once.push(single('start a throwaway server (initdb + pg_ctl start)', started));
  try {
    const database = 'bench';
    const url = withDatabase(server.url, database);
    await runSql(pg, server.url, `CREATE DATABASE ${database} TEMPLATE template0`);

    // --- load ---------------------------------------------------------------------------------
    started = performance.now();
    const statements = schemaStatements(TABLES);
    once.push(single(`generate SQL for ${count(TABLES)} tables`, started));
    started = performance.now();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (let i = 0; i < statements.length; i += LOAD_BATCH) {
        await client.query(statements.slice(i, i + LOAD_BATCH).join(''));
      }
      once.push(single(`load ${count(TABLES)} tables (pg, ${LOAD_BATCH} per transaction)`, started));
      started = performance.now();
      await client.query('VACUUM ANALYZE');
      once.push(single('VACUUM ANALYZE after the load', started));
    } finally {
      await client.end();
    }

    // --- what is measured ---------------------------------------------------------------------
    const pgDump = join(server.bin, 'pg_dump');
    const dump = () => run(pgDump, ['--schema-only', '--file=/dev/null', `--dbname=${url}`]);
    const introspectModel = async () => {
      const c = await agent.openPostgres({ url });
      try {
        return await agent.introspectPostgres(c);
      } finally {
        await c.end();
      }
    };
    const introspect = async () => {
      const model = await introspectModel();
      return { model, digest: agent.schemaDigest(model) };
    };

    const { model: live, digest: liveDigest } = await introspect();
    checkShape(live);
    const change = changedTables(TABLES, CHANGED);
    const desired = applyChange(live, change);
    // The desired model in memory comes with its digest, as planTarget gets it from the
    // desired-state cache (desired/cache.ts stores it with the model), so createPlan digests
    // only the live model, which it must: the plan path introspects without digesting.
    const desiredDigest = agent.schemaDigest(desired);
    const plan = (from) => agent.createPlan(from, desired, planner, {}, { to: desiredDigest });
    const planOnce = async () => plan(await introspectModel());

    const tasks = [
      { name: 'pg_dump --schema-only (> /dev/null)', fn: dump },
      { name: 'isotyp introspection (connect + introspect + digest)', fn: introspect },
      { name: 'isotyp introspection, model only (connect + introspect)', fn: introspectModel },
    ];
    // In-memory parts of the above, to show where the time goes.
    tasks.push({ name: 'of which schemaDigest (model in memory)', fn: () => agent.schemaDigest(live) });
    if (planner) {
      tasks.push({ name: 'isotyp plan of a 1% change (introspect live + createPlan)', fn: planOnce });
      tasks.push({ name: 'of which createPlan (models in memory)', fn: () => plan(live) });
    } else {
      notes.push(`plan not measured: ${PLANNER} does not exist (the PostgreSQL planner is not built yet)`);
    }
    const samples = await interleaved(tasks, RUNS);
    const rows = tasks.map((task, i) => medianRow(task.name, samples[i]));

    // Not a timing check: the figures must be for a plan that does the change.
    let planOps;
    if (planner) {
      const { plan } = await planOnce();
      planOps = plan.ops.length;
      if (planOps === 0) throw new Error('the plan of the 1% change has no operations');
    }

    // --- the cold path: the desired state from a schema file ------------------------------------
    const schemaSql = schemaStatements(TABLES, change).join('');
    started = performance.now();
    const loaded = await agent.loadDesiredPostgres(schemaSql, { serverUrl: server.url, fileName: 'schema.sql' });
    const loadRow = single(
      `loadDesiredPostgres schema.sql (${(schemaSql.length / 1e6).toFixed(1)} MB) into a scratch database`,
      started,
    );
    once.push(loadRow);
    const sameDesired = agent.schemaDigest(loaded) === agent.schemaDigest(desired);

    // --- figures --------------------------------------------------------------------------------
    const [dumpMs, introspectMs, modelOnlyMs, digestMs, planMs, createPlanMs] = rows.map((r) => r.medianMs);
    const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
    notes.unshift(
      `schema: ${count(TABLES)} tables, ${count(live.namespaces[0].tables.reduce((n, t) => n + t.columns.length, 0))} ` +
        `columns, ${count(TABLES)} indexes, ${count(Math.floor(TABLES / 2))} foreign keys, ${count(TABLES)} checks; ` +
        `digest ${liveDigest.slice(0, 19)}…; medians of ${RUNS} runs after one warm-up`,
      `isotyp introspection with its digest is ${(introspectMs / dumpMs).toFixed(2)}× pg_dump ` +
        `(${s(introspectMs)} vs ${s(dumpMs)}; goal ≤ 0.5×); schemaDigest alone ${s(digestMs)}`,
      `isotyp introspection to the model only is ${(modelOnlyMs / dumpMs).toFixed(2)}× pg_dump (${s(modelOnlyMs)})`,
    );
    if (planner) {
      notes.push(
        `plan of a 1% change (${CHANGED} tables: ${change.addColumn.size} add a column, ${change.addIndex.size} an index) ` +
          `including introspection: ${s(planMs)}, ${planOps} operations (goal < 1 s); ` +
          `createPlan alone ${s(createPlanMs)}`,
      );
    }
    notes.push(
      `cold path, desired state loaded from schema.sql into a scratch database: ${s(loadRow.meanMs)}` +
        (planner
          ? `, ${(loadRow.meanMs / planMs).toFixed(0)}× the whole plan above, which starts from a desired model ` +
            'already in memory: the case for caching desired models'
          : ''),
      `the desired model edited in memory ${sameDesired ? 'digests the same as' : 'DIFFERS from'} the one loaded from schema.sql`,
    );
    return {
      groups: [
        { title: `median of ${RUNS} runs, interleaved, after one warm-up each`, rows },
        { title: 'timed once', rows: once },
      ],
      notes,
    };
  } finally {
    server.stop();
  }
}

/** Runs every task once to warm up, then `runs` rounds of all tasks; returns ms per task. */
async function interleaved(tasks, runs) {
  for (const task of tasks) await task.fn();
  const samples = tasks.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (const [i, task] of tasks.entries()) {
      // Start on a clean heap (node runs with --expose-gc under `pnpm bench`).
      globalThis.gc?.();
      const t0 = performance.now();
      await task.fn();
      samples[i].push(performance.now() - t0);
    }
  }
  return samples;
}

/** A table row (bench/run.mjs) for one task's samples, with the median as the headline. */
function medianRow(task, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return {
    task,
    opsPerSec: 1000 / median,
    medianMs: median,
    meanMs: mean,
    // Nearest-rank p99: with a handful of samples, the slowest.
    p99Ms: sorted[Math.min(n - 1, Math.ceil(0.99 * n) - 1)],
    rme: ((tCritical(n - 1) * sd) / Math.sqrt(n) / mean) * 100,
    samples: n,
  };
}

/** Two-sided 95% Student t critical values, as tinybench uses for its ± column. */
function tCritical(df) {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
  return table[df - 1] ?? (df < 30 ? 2.2 : 1.96);
}

/** A row for something timed once since `started`. */
function single(task, started) {
  const ms = performance.now() - started;
  return { task, opsPerSec: 1000 / ms, medianMs: ms, meanMs: ms, p99Ms: ms, rme: 0, samples: 1 };
}

/** Fails unless the live model has the generated shape, so the figures are for that schema. */
function checkShape(model) {
  const tables = model.namespaces.flatMap((ns) => ns.tables);
  const total = (f) => tables.reduce((n, t) => n + f(t), 0);
  const found = {
    tables: tables.length,
    columns: total((t) => t.columns.length),
    indexes: total((t) => t.indexes.length),
    foreignKeys: total((t) => t.foreignKeys.length),
    checks: total((t) => t.checks.length),
  };
  const expected = {
    tables: TABLES,
    columns: 7 * TABLES,
    indexes: TABLES,
    foreignKeys: Math.floor(TABLES / 2),
    checks: TABLES,
  };
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    throw new Error(`introspection found ${JSON.stringify(found)}, expected ${JSON.stringify(expected)}`);
  }
}
