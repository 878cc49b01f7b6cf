import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isIsotypError, type Plan } from '@isotyp/protocol';
import { applyPlan, verifyPlanFile } from '../../../packages/agent/src/apply/apply.js';
import type { ChangeRunner } from '../../../packages/agent/src/apply/session.js';
import { postgresRunner } from '../../../packages/agent/src/dialects/postgres/runner.js';
import { sqliteRunner } from '../../../packages/agent/src/dialects/sqlite/runner.js';

/*
 * One applier of the race test, as a long-lived process of its own (bundled by bundle.ts):
 * it reads jobs from stdin, one JSON object a line, and for each opens the target afresh (its
 * own connection, as another agent or CI job would), applies the plan through the agent's real
 * apply, and answers on stdout with the outcome — `ok` or the error's code — and when it
 * started and finished (epoch ms, comparable across processes). Jobs run as they come, side by
 * side: the test never gives one process two jobs of the same race, nor (SQLite, whose driver
 * blocks the process while it waits for a lock) two jobs at once.
 */

export interface RaceJob {
  id: number;
  dialect: 'postgres' | 'sqlite';
  target: string;
  planFile: string;
}

export interface RaceAnswer {
  id: number;
  outcome: string;
  startedAt: number;
  endedAt: number;
}

const plans = new Map<string, Plan>();
const planOf = (file: string): Plan => {
  let plan = plans.get(file);
  if (plan === undefined) {
    plan = verifyPlanFile(JSON.parse(readFileSync(file, 'utf8')));
    plans.set(file, plan);
  }
  return plan;
};

const now = () => performance.timeOrigin + performance.now();

function runnerFor(job: RaceJob): ChangeRunner {
  // Polls for the lock every 10 ms at first (the agent's default is 100 ms): the races are
  // about who gets it, and a quicker poll keeps a thousand of them short.
  return job.dialect === 'postgres' ? postgresRunner({ url: job.target }, { pollMs: 10 }) : sqliteRunner(job.target);
}

async function run(job: RaceJob): Promise<RaceAnswer> {
  const startedAt = now();
  const runner = runnerFor(job);
  try {
    await applyPlan(runner, planOf(job.planFile), `applier-${process.pid}`);
    return { id: job.id, outcome: 'ok', startedAt, endedAt: now() };
  } catch (error) {
    return {
      id: job.id,
      outcome: isIsotypError(error) ? error.code : `NOT_AN_ISOTYP_ERROR: ${error}`,
      startedAt,
      endedAt: now(),
    };
  } finally {
    await runner.close();
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  void run(JSON.parse(line) as RaceJob).then((answer) => process.stdout.write(`${JSON.stringify(answer)}\n`));
}
