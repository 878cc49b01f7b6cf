// One worker of `isotyp server start --workers N`, started by runControlPlaneWorkers (primary.ts)
// with node:cluster: it waits for its settings, runs the whole control plane (sharing the listening
// port with the other workers) and reports back. It stops when the primary says so, and on its own
// only when the primary is gone (node:cluster exits a worker whose IPC channel closes).
import { IsotypError } from '@isotyp/protocol';
import type { Registry } from 'prom-client';
import { abandonLogLines, createLogger } from '../logger.js';
import { runControlPlane } from '../main.js';
import type { RateLimitCount } from '../storage/store.js';
import {
  isOurs,
  type Question,
  type ToPrimary,
  type ToWorker,
  type WorkerFailure,
  type WorkerPeers,
  type WorkerSettings,
} from './peers.js';

/** How long a question to the primary may take: it answers from memory, or within a scrape's collection. */
const ASK_TIMEOUT_MS = 10_000;

const send = (message: ToPrimary, done?: () => void): void => {
  process.send?.(message, undefined, {}, () => done?.());
};

const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextId = 0;

function ask<T>(question: Question): Promise<T> {
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new IsotypError('ISOTYP_UNAVAILABLE', 'The control plane’s primary process did not answer in time.'));
    }, ASK_TIMEOUT_MS);
    timer.unref();
    pending.set(id, {
      resolve: (value) => {
        clearTimeout(timer);
        resolve(value as T);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    send({ kind: 'isotyp:ask', id, question });
  });
}

let exposed: Registry | undefined;

const peers: WorkerPeers = {
  rateLimits: {
    add: (rows) => ask<RateLimitCount[]>({ type: 'rate-add', rows }),
    prune: (before) => ask<number>({ type: 'rate-prune', before }),
  },
  exposeMetrics(registry) {
    exposed = registry;
  },
  metrics: () => ask<string>({ type: 'metrics' }),
};

let stop: (() => Promise<void>) | undefined;
let stopRequested = false;

process.on('message', (message: unknown) => {
  if (!isOurs<ToWorker>(message)) return;
  switch (message.kind) {
    case 'isotyp:start':
      void start(message.settings);
      break;
    case 'isotyp:stop':
      stopRequested = true;
      void stop?.();
      break;
    case 'isotyp:answer': {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new IsotypError('ISOTYP_UNAVAILABLE', message.error));
      else waiting?.resolve(message.value);
      break;
    }
    case 'isotyp:collect':
      void (exposed?.getMetricsAsJSON() ?? Promise.resolve([])).then(
        (metrics) => send({ kind: 'isotyp:collected', id: message.id, metrics }),
        () => send({ kind: 'isotyp:collected', id: message.id, metrics: [] }),
      );
      break;
  }
});

// The primary is gone, and with it the reader of this worker's log lines: node:cluster exits the
// worker on this event (its own listener, after this one), and the lines left are dropped rather
// than written into a pipe nobody reads.
process.prependListener('disconnect', abandonLogLines);

// A terminal's Ctrl-C reaches the whole process group: the primary stops the workers in order.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
send({ kind: 'isotyp:ready' });

async function start(settings: WorkerSettings): Promise<void> {
  // Lines go to this worker's stdout, a pipe the primary reads whole lines from and passes on.
  const logger = createLogger({ level: settings.logLevel, buffered: 1 });
  try {
    const running = await runControlPlane({
      config: settings.config,
      logger,
      peers,
      ...(settings.allowInsecureIdp ? { allowInsecureIdp: true } : {}),
    });
    stop = async () => {
      try {
        await running.close();
      } finally {
        logger.flush(() => process.exit(0));
      }
    };
    send({ kind: 'isotyp:listening', url: running.url, port: running.port });
    if (stopRequested) void stop();
  } catch (error) {
    const failure: WorkerFailure =
      error instanceof IsotypError
        ? { code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) }
        : { code: 'ISOTYP_INTERNAL', message: 'A control-plane worker failed to start.' };
    logger.error({ err: error }, 'control-plane worker failed to start');
    logger.flush(() => send({ kind: 'isotyp:failed', error: failure }, () => process.exit(1)));
  }
}
