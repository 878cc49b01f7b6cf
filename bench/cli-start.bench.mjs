// `isotyp --help` cold start (issue 9): a fresh node process each run, median of repeated runs,
// side by side with `node -e 0` — the floor no CLI on Node can go under — in the same run.
// Goal < 300 ms. CLI_BENCH_RUNS sets the runs per task (default 21).
import { spawnSync } from 'node:child_process';
import { ROOT } from './harness.mjs';

export const title = 'CLI: cold start of isotyp --help';

const RUNS = Number(process.env.CLI_BENCH_RUNS ?? 21);
const CLI = `${ROOT}packages/cli/bin/run.js`;

function timed(args) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { opsPerSec: 1000 / mean, meanMs: mean, medianMs: at(0.5), p99Ms: at(0.99), samples: samples.length };
}

export default async function bench() {
  const floor = { task: 'node -e 0 (the floor)', ...timed(['-e', '0']) };
  const help = { task: 'isotyp --help', ...timed([CLI, '--help']) };
  const version = { task: 'isotyp --version', ...timed([CLI, '--version']) };
  const verdict = help.medianMs < 300 ? 'goal met' : 'goal NOT met';
  return {
    groups: [{ title: `cold start, ${RUNS} runs each`, rows: [floor, help, version] }],
    notes: [
      `isotyp --help: ${help.medianMs.toFixed(0)} ms median (goal < 300 ms: ${verdict}), ` +
        `${(help.medianMs / floor.medianMs).toFixed(1)}× node -e 0 (${floor.medianMs.toFixed(0)} ms); ` +
        `${(help.medianMs - floor.medianMs).toFixed(0)} ms of it is the CLI's own`,
    ],
    ...(help.medianMs < 300 ? {} : { failed: `isotyp --help took ${help.medianMs.toFixed(0)} ms (goal < 300 ms)` }),
  };
}
