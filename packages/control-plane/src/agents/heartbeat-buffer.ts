import type { Logger } from 'pino';
import type { AgentHeartbeatRecord, Store } from '../storage/store.js';

/** Rows per statement (5 columns each: far below SQLite's bound-parameter limit). */
const BATCH = 500;

/**
 * Heartbeats are last-writer-wins reports every agent repeats every 30 s: they are kept in memory
 * per agent and written together, once per `flushMs`, in a few statements — instead of one write
 * (and one commit) per heartbeat. What is read back (the fleet view) includes what is still
 * waiting. A crash loses at most `flushMs` of heartbeats, which the next ones make up for.
 *
 * @example
 * const buffer = new HeartbeatBuffer(store, logger);
 * buffer.add(heartbeat);
 * await buffer.close(); // writes what is left
 */
export class HeartbeatBuffer {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #pending = new Map<string, AgentHeartbeatRecord>();
  readonly #timer: NodeJS.Timeout;
  #writing: Promise<void> = Promise.resolve();

  constructor(store: Store, logger: Logger, flushMs = 1000) {
    this.#store = store;
    this.#logger = logger;
    this.#timer = setInterval(() => void this.flush(), flushMs);
    this.#timer.unref();
  }

  add(heartbeat: AgentHeartbeatRecord): void {
    this.#pending.set(heartbeat.agentId, heartbeat);
  }

  /** The heartbeats not written yet, of one organisation. */
  pending(orgId: string): AgentHeartbeatRecord[] {
    return [...this.#pending.values()].filter((h) => h.orgId === orgId);
  }

  /** Writes what is waiting (after any write still running); a failed write is logged and retried next time. */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (this.#pending.size === 0) return;
      const batch = [...this.#pending.values()];
      this.#pending.clear();
      try {
        for (let i = 0; i < batch.length; i += BATCH) await this.#store.heartbeats.record(batch.slice(i, i + BATCH));
      } catch (error) {
        // Put back what newer heartbeats have not replaced meanwhile.
        for (const heartbeat of batch)
          if (!this.#pending.has(heartbeat.agentId)) this.#pending.set(heartbeat.agentId, heartbeat);
        this.#logger.warn({ err: error, waiting: this.#pending.size }, 'writing heartbeats failed; retrying');
      }
    });
    return this.#writing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
