import { readFileSync } from 'node:fs';
import { isIsotypError } from '@isotyp/protocol';
import { applyPlan, verifyPlanFile } from '../../../packages/agent/src/apply/apply.js';
import type { ChangeRunner } from '../../../packages/agent/src/apply/session.js';
import { postgresRunner } from '../../../packages/agent/src/dialects/postgres/runner.js';
import { sqliteRunner } from '../../../packages/agent/src/dialects/sqlite/runner.js';

/*
 * One applier, as a process of its own, for the kill -9 test (bundled by bundle.ts and run with
 * `node apply-child.mjs JOB`). It loads everything, says `ready`, waits for `go` on stdin, then
 * applies the plan through the agent's real apply — the same call `isotyp apply` and the daemon
 * make — announcing each phase on stdout as it starts, so the test knows where its SIGKILL
 * landed. One JSON object a line: {event: 'ready' | 'go' | 'phase' | 'done' | 'error', …}.
 */

export interface ApplyJob {
  dialect: 'postgres' | 'sqlite';
  /** A postgres:// URL, or a SQLite file path. */
  target: string;
  planFile: string;
  actor: string;
}

export type ChildEvent =
  | { event: 'ready' }
  | { event: 'go' }
  | { event: 'phase'; phase: string; ms: number }
  | { event: 'done'; statements: number; ms: number }
  | { event: 'error'; code: string; message: string };

function say(message: ChildEvent): void {
  // Writes to a pipe are synchronous on Linux: a line written is a line the parent gets, even
  // if SIGKILL comes right after.
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function runnerFor(job: ApplyJob): ChangeRunner {
  return job.dialect === 'postgres' ? postgresRunner({ url: job.target }) : sqliteRunner(job.target);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ApplyJob;
  const plan = verifyPlanFile(JSON.parse(readFileSync(job.planFile, 'utf8')));
  say({ event: 'ready' });
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  say({ event: 'go' });
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const runner = runnerFor(job);
  try {
    const result = await applyPlan(runner, plan, job.actor, {
      onPhase: (phase) => say({ event: 'phase', phase, ms: ms() }),
    });
    say({ event: 'done', statements: result.statements, ms: ms() });
  } catch (error) {
    say({
      event: 'error',
      code: isIsotypError(error) ? error.code : 'NOT_AN_ISOTYP_ERROR',
      message: error instanceof Error ? error.message : String(error),
    });
    process.exitCode = 1;
  } finally {
    await runner.close();
    process.stdin.destroy();
  }
}

await main();
