import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { IsotypError } from '@isotyp/protocol';
import type { LevelWithSilent, Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { ControlPlaneConfig } from '../config.js';
import { logStream } from '../logger.js';
import { type FirstAdmin, prepareStore } from '../main.js';
import { slot } from '../middleware/shared-counts.js';
import type { RateLimitCount } from '../storage/store.js';
import {
  isOurs,
  type Question,
  type ToPrimary,
  type ToWorker,
  type WorkerFailure,
  type WorkerSettings,
} from './peers.js';

/** One worker's metrics, as its registry's `getMetricsAsJSON()` gives them. */
type Metric = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

export interface WorkersOptions {
  config: ControlPlaneConfig;
  /** The primary's own logger; the workers' lines reach its destination too, whole. */
  logger: Logger;
  /** The level the workers log at. */
  logLevel: LevelWithSilent;
  /** How many processes serve requests (at least 1). */
  workers: number;
  firstAdmin?: FirstAdmin;
  allowInsecureIdp?: boolean;
}

export interface RunningWorkers {
  url: string;
  port: number;
  /** True when this start created the organisation and its first admin. */
  bootstrapped: boolean;
  /** The agent CA's certificate (public), when there is one. */
  caCertificatePem?: string;
  /** Stops every worker (each lets its requests finish), then resolves. */
  close(): Promise<void>;
}

/** A worker that dies this soon after starting is restarted after a growing pause. */
const STABLE_AFTER_MS = 10_000;
const FIRST_RESTART_MS = 100;
const MAX_RESTART_MS = 10_000;
/** How long a worker has to stop after its requests' shutdown timeout (10 s) before it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** How long a scrape waits for each worker's metrics. */
const COLLECT_TIMEOUT_MS = 2_000;

/**
 * The control plane in several processes on one host, sharing one port (node:cluster): what
 * `isotyp server start --workers N` runs. This process, the primary, prepares the store once
 * (migrations, the first organisation, the agent CA) and then only supervises: it starts N
 * workers, each a whole control plane (`runControlPlane`) on the same store, restarts one that
 * dies, keeps the rate-limit counts they share, sums their metrics for a scrape and passes their
 * log lines on. Workers share everything else through the store, as replicas do — on SQLite
 * too: the file takes one writer at a time and every worker follows the others' writes.
 *
 * @example
 * const cp = await runControlPlaneWorkers({ config, logger, logLevel: 'info', workers: 4 });
 * await cp.close();
 */
export async function runControlPlaneWorkers(options: WorkersOptions): Promise<RunningWorkers> {
  const { config, logger } = options;
  if (!cluster.isPrimary) throw new Error('runControlPlaneWorkers runs in a primary process only.');
  const prepared = await prepareStore({
    config,
    logger,
    ...(options.firstAdmin ? { firstAdmin: options.firstAdmin } : {}),
    authority: true,
  });
  const ca = await prepared.store.authorities.active();
  await prepared.store.close();

  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./worker.js', import.meta.url)),
    execArgv: workerExecArgv(),
    // Workers' stdout and stderr come here, to be passed on a whole line at a time.
    silent: true,
    serialization: 'advanced',
  });
  const settings = {
    config,
    logLevel: options.logLevel,
    allowInsecureIdp: options.allowInsecureIdp === true,
  };
  const supervisor = new Supervisor(logger, settings, Math.max(1, Math.floor(options.workers)));
  const { url, port } = await supervisor.start();
  return {
    url,
    port,
    bootstrapped: prepared.bootstrapped,
    ...(ca === undefined ? {} : { caCertificatePem: ca.certificatePem }),
    close: () => supervisor.stop(),
  };
}

/**
 * A worker's young generation (V8's semi-spaces) at 32 MiB instead of Node's 16: with a thousand
 * requests in flight, a request's objects outlive the scavenges of a small young generation and
 * are copied into the old one, to be collected there at a far higher cost. Measured on a change
 * read at 1,000 connections, one worker against one with 16 MiB, three runs each: 5–15 % more
 * requests a second and ~10 % less CPU a request, for ~60 MiB more resident memory (64 and 128
 * MiB did no better). An operator's own `--max-semi-space-size` (in NODE_OPTIONS or on the
 * command line) is left alone.
 */
const YOUNG_GENERATION = '--max-semi-space-size=32';

function workerExecArgv(): string[] {
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
    arg.startsWith('--max-semi-space-size'),
  );
  return chosen ? process.execArgv : [...process.execArgv, YOUNG_GENERATION];
}

class Supervisor {
  readonly #logger: Logger;
  readonly #settings: WorkerSettings;
  readonly #count: number;
  /** Workers listening for messages (a message sent before is lost), by cluster id. */
  readonly #ready = new Set<number>();
  /** Workers serving (listening), by cluster id. */
  readonly #serving = new Map<number, Worker>();
  readonly #counts = new RateLimitSums();
  /** The port workers ask node:cluster for (see `isotyp:ready`), and the one they got. */
  #listenPort: number;
  #port: number | undefined;
  #stopping: Promise<void> | undefined;
  #restartMs = FIRST_RESTART_MS;
  /** Replacements waiting for their pause to end. */
  readonly #restarts = new Set<NodeJS.Timeout>();
  #nextCollect = 0;
  readonly #collecting = new Map<number, (metrics: Metric[]) => void>();

  constructor(logger: Logger, settings: WorkerSettings, count: number) {
    this.#logger = logger;
    this.#settings = settings;
    this.#listenPort = settings.config.port;
    this.#count = count;
  }

  /** Starts every worker; fails (stopping those started) if one cannot start. */
  async start(): Promise<{ url: string; port: number }> {
    const started = await Promise.allSettled(Array.from({ length: this.#count }, () => this.#fork()));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await this.stop();
      throw failed.reason;
    }
    const first = (started[0] as PromiseFulfilledResult<{ url: string; port: number }>).value;
    this.#logger.info({ url: first.url, workers: this.#count }, 'control plane listening with workers');
    return first;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const timer of this.#restarts) clearTimeout(timer);
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(workers.map((worker) => stopWorker(worker, this.#ready.has(worker.id))));
    })();
    return this.#stopping;
  }

  /** Starts one worker and resolves once it listens; rejects if it fails or exits first. */
  #fork(): Promise<{ url: string; port: number }> {
    const worker = cluster.fork();
    const startedAt = Date.now();
    this.#passOn(worker);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: unknown) => {
        if (!isOurs<ToPrimary>(message)) return;
        switch (message.kind) {
          case 'isotyp:ready': {
            this.#ready.add(worker.id);
            // node:cluster shares one listening socket per address and port asked for, and
            // closes it with the last worker on it: while one serves, a new worker asks for what
            // it asked for (0 too); once none does, for the port they had, not a new one.
            if (this.#serving.size === 0 && this.#port !== undefined) this.#listenPort = this.#port;
            const config = { ...this.#settings.config, port: this.#listenPort };
            send(worker, { kind: 'isotyp:start', settings: { ...this.#settings, config } });
            break;
          }
          case 'isotyp:listening':
            this.#port ??= message.port;
            listening = true;
            this.#serving.set(worker.id, worker);
            resolve({ url: message.url, port: message.port });
            break;
          case 'isotyp:failed':
            reject(failure(message.error));
            break;
          case 'isotyp:ask':
            void this.#answer(worker, message.id, message.question);
            break;
          case 'isotyp:collected':
            this.#collecting.get(message.id)?.(message.metrics as Metric[]);
            break;
        }
      });
      worker.once('exit', (code, signal) => {
        this.#serving.delete(worker.id);
        this.#ready.delete(worker.id);
        if (!listening) {
          reject(
            new IsotypError('ISOTYP_INTERNAL', `A control-plane worker exited while starting (${signal ?? code}).`, {
              hint: 'Its log lines above say why.',
            }),
          );
          return;
        }
        if (this.#stopping !== undefined) return;
        const lived = Date.now() - startedAt;
        this.#restartMs = lived >= STABLE_AFTER_MS ? FIRST_RESTART_MS : Math.min(MAX_RESTART_MS, this.#restartMs * 2);
        this.#logger.error(
          { worker: worker.process.pid, code, signal, restartInMs: this.#restartMs },
          'control-plane worker exited; starting another',
        );
        this.#replaceLater();
      });
    });
  }

  #replace(): void {
    if (this.#stopping !== undefined) return;
    this.#fork().then(
      () => this.#logger.info('replacement control-plane worker listening'),
      (error: unknown) => {
        // Its exit already scheduled the next attempt when it had been listening; not here.
        this.#logger.error({ err: error }, 'a replacement control-plane worker failed to start');
        this.#restartMs = Math.min(MAX_RESTART_MS, this.#restartMs * 2);
        this.#replaceLater();
      },
    );
  }

  /**
   * Starts a replacement after the current pause. The timer keeps this process alive on purpose:
   * with every worker dead at once, it is all that stands between the server and a quiet exit.
   */
  #replaceLater(): void {
    if (this.#stopping !== undefined) return;
    const timer = setTimeout(() => {
      this.#restarts.delete(timer);
      this.#replace();
    }, this.#restartMs);
    this.#restarts.add(timer);
  }

  async #answer(worker: Worker, id: number, question: Question): Promise<void> {
    try {
      const value =
        question.type === 'rate-add'
          ? this.#counts.add(question.rows)
          : question.type === 'rate-prune'
            ? this.#counts.prune(question.before)
            : await this.#metrics();
      send(worker, { kind: 'isotyp:answer', id, value });
    } catch (error) {
      this.#logger.warn({ err: error }, 'answering a control-plane worker failed');
      send(worker, { kind: 'isotyp:answer', id, error: 'The primary could not answer.' });
    }
  }

  /** Every serving worker's metrics, summed (prom-client's cluster aggregation), as Prometheus text. */
  async #metrics(): Promise<string> {
    const collected = await Promise.all(
      [...this.#serving.values()].map(
        (worker) =>
          new Promise<Metric[] | undefined>((resolve) => {
            const id = ++this.#nextCollect;
            const timer = setTimeout(() => done(undefined), COLLECT_TIMEOUT_MS);
            const done = (metrics: Metric[] | undefined) => {
              clearTimeout(timer);
              this.#collecting.delete(id);
              resolve(metrics);
            };
            this.#collecting.set(id, done);
            send(worker, { kind: 'isotyp:collect', id });
          }),
      ),
    );
    const answered = collected.filter((metrics): metrics is Metric[] => metrics !== undefined);
    return AggregatorRegistry.aggregate(answered).metrics();
  }

  /** The worker's stdout (its log lines) into this process's log destination, and its stderr to ours, whole lines only. */
  #passOn(worker: Worker): void {
    const stream = logStream(this.#logger);
    wholeLines(worker.process.stdout, (text) => stream.write(text));
    wholeLines(worker.process.stderr, (text) => process.stderr.write(text));
  }
}

/** Rate-limit counts summed over the workers, as `store.rateLimits` sums them over replicas. */
class RateLimitSums {
  readonly #sums = new Map<string, RateLimitCount>();

  add(rows: readonly RateLimitCount[]): RateLimitCount[] {
    return rows.map((row) => {
      const id = slot(row.key, row.windowStart);
      const sum = this.#sums.get(id);
      if (sum === undefined) this.#sums.set(id, { ...row });
      else sum.count += row.count;
      return { ...(this.#sums.get(id) as RateLimitCount) };
    });
  }

  prune(before: number): number {
    let removed = 0;
    for (const [id, row] of this.#sums) {
      if (row.windowStart < before) {
        this.#sums.delete(id);
        removed++;
      }
    }
    return removed;
  }
}

function send(worker: Worker, message: ToWorker): void {
  if (worker.isConnected()) worker.send(message);
}

/**
 * Asks the worker to stop and waits for it to exit; kills it if it takes too long, or at once if
 * it is not yet listening for messages (it has nothing open yet).
 */
function stopWorker(worker: Worker, ready: boolean): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => worker.process.kill('SIGKILL'), ready ? STOP_TIMEOUT_MS : 0);
    worker.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    if (ready) send(worker, { kind: 'isotyp:stop' });
  });
}

function failure(error: WorkerFailure): IsotypError {
  return new IsotypError(error.code, error.message, {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  });
}

/** Calls `write` with each run of complete lines read from `input`; a partial line waits for its end. */
function wholeLines(input: NodeJS.ReadableStream | null, write: (text: string) => void): void {
  if (input === null) return;
  let rest: Buffer | undefined;
  input.on('data', (chunk: Buffer) => {
    const data = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    const end = data.lastIndexOf(10);
    if (end === -1) {
      rest = data;
      return;
    }
    write(data.toString('utf8', 0, end + 1));
    rest = end + 1 === data.length ? undefined : data.subarray(end + 1);
  });
  input.on('end', () => {
    if (rest !== undefined) write(`${rest.toString('utf8')}\n`);
    rest = undefined;
  });
}
