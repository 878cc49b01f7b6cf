// Shared helpers for bench/*.bench.mjs: run tinybench tasks and turn results into table rows.
//
// Benchmarks report figures; they never pass or fail on them. The budgets in DESIGN.md are
// checked by reading these figures, not by assertions in unit tests (which would be flaky on
// shared CI machines).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Per-task time budget; BENCH_TIME_MS shortens or lengthens every benchmark at once. */
export const TASK_TIME_MS = Number(process.env.BENCH_TIME_MS ?? 500);

/**
 * Imports a workspace package from its build output (packages/<name>/dist/index.js), so the
 * figures are for the code that ships. Fails with a hint when `pnpm build` has not run.
 */
export async function importBuilt(pkg) {
  const entry = `${ROOT}packages/${pkg}/dist/index.js`;
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: run \`pnpm build\` first`);
  }
  return import(pathToFileURL(entry).href);
}

/**
 * Requires a dependency of a workspace package (e.g. tweetnacl, a dependency of protocol) as
 * that package sees it, without listing it again at the repository root.
 */
export function requireFrom(pkg, specifier) {
  return createRequire(`${ROOT}packages/${pkg}/package.json`)(specifier);
}

/**
 * Runs tasks ({ name, fn, bytes? }) one after another and returns one row per task:
 * { task, opsPerSec, meanMs, p99Ms, rme, samples, mbPerSec }. `bytes` is the payload size
 * one call processes; when given the row carries a throughput in MB/s (10^6 bytes).
 */
export async function runTasks(tasks, { time = TASK_TIME_MS } = {}) {
  const bench = new Bench({
    time,
    warmupTime: Math.min(200, time / 4),
    // Start every task on a clean heap, so one task's garbage is not collected on the next
    // one's clock. gc() exists when node runs with --expose-gc, as `pnpm bench` does.
    setup: () => globalThis.gc?.(),
  });
  for (const task of tasks) bench.add(task.name, task.fn);
  await bench.run();
  return tasks.map((task, i) => {
    const result = bench.tasks[i].result;
    if (result.state !== 'completed') {
      throw new Error(`benchmark task "${task.name}" ${result.state}: ${result.error?.message ?? ''}`);
    }
    const opsPerSec = result.throughput.mean;
    return {
      task: task.name,
      opsPerSec,
      meanMs: result.latency.mean,
      p99Ms: result.latency.p99,
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
      mbPerSec: task.bytes ? (opsPerSec * task.bytes) / 1e6 : undefined,
    };
  });
}

/** How many times faster task `a` ran than task `b` (ratio of ops/s). */
export function speedup(rows, a, b) {
  const row = (name) => {
    const found = rows.find((r) => r.task === name);
    if (!found) throw new Error(`no benchmark row named "${name}"`);
    return found;
  };
  return row(a).opsPerSec / row(b).opsPerSec;
}

/** Runs `sql` on the PostgreSQL database at `url` (`pg` is the pg module). */
export async function runSql(pg, url, sql) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `url` naming database `name` instead. */
export function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Clock ticks a second, the unit of the CPU times in /proc/<pid>/stat; 100 (Linux's USER_HZ) if getconf fails. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, seconds) process `pid` has used so far, from /proc; throws once it is gone. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name (in parentheses, spaces allowed): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The processes `pid` started (any of its threads), from /proc; none once it is gone. */
export function childPids(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}
