import type { EventHub } from './event-hub.js';

/**
 * Runs `round` whenever the hub has read further and every `tickMs` besides, one at a time: a
 * kick during a round runs one more round right after it, however many kicks came. What the
 * webhook dispatcher and the NATS relay both need.
 *
 * @example
 * const rounds = new Rounds(() => relay.publishNew(), (error) => log.warn({ err: error }), 1000);
 * rounds.start(hub);
 */
export class Rounds {
  readonly #round: () => Promise<void>;
  readonly #failed: (error: unknown) => void;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #unlisten: (() => void) | undefined;

  constructor(round: () => Promise<void>, failed: (error: unknown) => void, tickMs: number) {
    this.#round = round;
    this.#failed = failed;
    this.#tickMs = tickMs;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(hub: EventHub): void {
    this.#unlisten = hub.onAdvance(() => this.kick());
    this.#timer = setInterval(() => this.kick(), this.#tickMs);
    this.#timer.unref();
    this.kick();
  }

  /** Runs a round now, or right after the one running. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#round()
      .catch(this.#failed)
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** No more rounds; resolves once the one running has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#unlisten?.();
    await this.#running;
  }
}
