// Latency bookkeeping shared by the load bench's drivers (agents.mjs, readers.mjs) and its report.

/** One class of requests: latencies of the answered ones, failures counted by kind. */
export class Recorder {
  constructor() {
    this.latencies = [];
    this.failures = {};
  }

  ok(ms) {
    this.latencies.push(ms);
  }

  fail(kind) {
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
  }

  /** What a driver process sends back, for `merged` in the orchestrator. */
  raw() {
    return { latencies: this.latencies, failures: this.failures };
  }

  /** One recorder of several drivers' `raw()`. */
  static merged(parts) {
    const recorder = new Recorder();
    for (const part of parts) {
      for (const ms of part.latencies) recorder.latencies.push(ms);
      for (const [kind, n] of Object.entries(part.failures))
        recorder.failures[kind] = (recorder.failures[kind] ?? 0) + n;
    }
    return recorder;
  }

  /** p50/p95/p99 (nearest rank), mean, counts and rates over `seconds`. */
  summary(seconds) {
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (p) =>
      sorted.length === 0
        ? 0
        : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
    const errors = Object.values(this.failures).reduce((a, b) => a + b, 0);
    const total = sorted.length + errors;
    return {
      answered: sorted.length,
      errors,
      errorRate: total === 0 ? 0 : errors / total,
      failures: this.failures,
      perSecond: sorted.length / seconds,
      meanMs: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length,
      p50Ms: at(50),
      p95Ms: at(95),
      p99Ms: at(99),
      maxMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
    };
  }
}

/** A failure's kind: the status, or the error's code (ECONNRESET, UND_ERR_SOCKET…). */
export function failureKind(error) {
  return error?.code ?? error?.cause?.code ?? error?.name ?? 'error';
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Uniform in [low, high). */
export const between = (low, high) => low + Math.random() * (high - low);

/**
 * Runs a driver: reads its spec (JSON, argv[2]), prints `ready` once set up, waits for `go` on
 * stdin, runs, prints its result as one JSON line. The orchestrator starts every driver at once.
 */
export async function driver(setup) {
  const { readFileSync } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const run = await setup(spec);
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  await new Promise((resolve) => lines.once('line', resolve));
  const result = await run();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  lines.close();
  process.exit(0);
}
