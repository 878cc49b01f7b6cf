import type { ErrorCode } from '@isotyp/protocol';
import type { LevelWithSilent } from 'pino';
import type { Registry } from 'prom-client';
import type { ControlPlaneConfig } from '../config.js';
import type { RateLimitCount, Store } from '../storage/store.js';

/**
 * What one worker of a multi-process control plane (`isotyp server start --workers N`) shares
 * with the others, through the primary process that started them all: rate-limit counts (so a
 * client spread over N workers gets its limit once, not N times) and metrics (so a scrape, which
 * reaches one worker, reports the whole server). Everything else they share through the store,
 * as replicas do.
 */
export interface WorkerPeers {
  /** Rate-limit counts summed over every worker, kept by the primary (see SharedCounts). */
  rateLimits: Store['rateLimits'];
  /** Makes `registry` this worker's part of the server's metrics; the primary collects it at each scrape. */
  exposeMetrics(registry: Registry): void;
  /** Every worker's metrics, summed, as Prometheus text. */
  metrics(): Promise<string>;
}

/** What the primary gives a worker to start with: all it needs to run `runControlPlane`. */
export interface WorkerSettings {
  config: ControlPlaneConfig;
  logLevel: LevelWithSilent;
  allowInsecureIdp: boolean;
}

/** A failure a worker reports, rebuilt as an IsotypError by the primary. */
export interface WorkerFailure {
  code: ErrorCode;
  message: string;
  hint?: string;
}

/** Questions a worker asks the primary; each is answered once, by id. */
export type Question =
  | { type: 'rate-add'; rows: readonly RateLimitCount[] }
  | { type: 'rate-prune'; before: number }
  | { type: 'metrics' };

/** Messages from the primary to a worker. */
export type ToWorker =
  | { kind: 'isotyp:start'; settings: WorkerSettings }
  | { kind: 'isotyp:stop' }
  | { kind: 'isotyp:answer'; id: number; value?: unknown; error?: string }
  /** Asks for the worker's metrics (prom-client's JSON form), answered with `isotyp:collected`. */
  | { kind: 'isotyp:collect'; id: number };

/** Messages from a worker to the primary. */
export type ToPrimary =
  /** The worker listens for messages now (one sent before would be lost): the primary sends `isotyp:start`. */
  | { kind: 'isotyp:ready' }
  | { kind: 'isotyp:listening'; url: string; port: number }
  | { kind: 'isotyp:failed'; error: WorkerFailure }
  | { kind: 'isotyp:ask'; id: number; question: Question }
  | { kind: 'isotyp:collected'; id: number; metrics: unknown[] };

/** True for a message of this protocol (the IPC channel also carries Node's own cluster messages). */
export function isOurs<T extends { kind: string }>(message: unknown): message is T {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { kind?: unknown }).kind === 'string' &&
    (message as { kind: string }).kind.startsWith('isotyp:')
  );
}
