import type { DomainEvent } from '@isotyp/protocol';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * A client of GET /v1/events as a browser's EventSource would be, minus the automatic
 * reconnect (tests reconnect on purpose): collects the events as they come.
 */
export class EventStreamClient {
  readonly events: DomainEvent[] = [];
  readonly messages: SseMessage[] = [];
  readonly #abort = new AbortController();
  #done: Promise<void> = Promise.resolve();
  #waiters: (() => void)[] = [];
  status = 0;
  ended = false;

  static async open(
    baseUrl: string,
    token: string,
    options: { lastEventId?: number; query?: string } = {},
  ): Promise<EventStreamClient> {
    const client = new EventStreamClient();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
    const response = await fetch(`${baseUrl}/v1/events${options.query ?? ''}`, {
      headers,
      signal: client.#abort.signal,
    });
    client.status = response.status;
    if (response.status !== 200 || response.body === null) {
      client.ended = true;
      client.messages.push({ data: await response.text() });
      return client;
    }
    const ready = new Promise<void>((resolve) => client.#waiters.push(resolve));
    client.#done = client.#read(response.body);
    await ready;
    return client;
  }

  /** Resolves once `predicate` holds for what was received (or rejects after `timeoutMs`). */
  async until(predicate: (events: DomainEvent[]) => boolean, timeoutMs = 15_000): Promise<DomainEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.ended) throw new Error(`the stream ended with ${this.events.length} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events;
  }

  /** The seq of the last event received (what a reconnect sends as Last-Event-ID). */
  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? -1;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#done.catch(() => {});
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          this.#parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    } finally {
      this.ended = true;
      this.#wake();
    }
  }

  #parse(block: string): void {
    const message: SseMessage = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && message.event === undefined) return;
    message.data = data.join('\n');
    this.messages.push(message);
    if (message.event !== 'ready' && message.id !== undefined)
      this.events.push(JSON.parse(message.data) as DomainEvent);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}
