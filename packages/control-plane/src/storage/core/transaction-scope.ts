import { AsyncLocalStorage } from 'node:async_hooks';

/** What a scope remembers of the transaction it runs: `done` once it has ended. */
export interface ScopedTransaction {
  done: boolean;
}

/** Transactions open right now, over every scope of the process. */
let open = 0;
/** The scopes switched on since the last moment no transaction was open. */
const enabled = new Set<AsyncLocalStorage<unknown>>();

/**
 * "The transaction open on this async path", switched off whenever no transaction is open.
 *
 * On Node 20 an AsyncLocalStorage that has run once keeps a hook on every promise the process
 * creates, for good: a read request, which never opens a transaction, paid ~3 µs of its ~50 µs
 * for the transactions of earlier writes. A scope switches its storage on when a transaction
 * starts and every scope off when the last open one ends, so between writes no hook runs.
 * Switched off, a scope reads as "no transaction" — what a path that outlived its transaction
 * (a timer started inside it, say) must see anyway, which is also why `current()` treats an
 * ended transaction as none.
 *
 * @example
 * const scope = new TransactionScope<{ done: boolean; tx: Tx }>();
 * const transaction = { done: false, tx };
 * await scope.run(transaction, async () => scope.current()?.tx); // tx
 * transaction.done = true;
 * scope.current(); // undefined
 */
export class TransactionScope<T extends ScopedTransaction> {
  readonly #storage = new AsyncLocalStorage<T>();

  /** The transaction open on this async path; undefined outside one, or once it has ended. */
  current(): T | undefined {
    const transaction = this.#storage.getStore();
    return transaction === undefined || transaction.done ? undefined : transaction;
  }

  /** Runs `work` with `transaction` as this path's current one (the caller marks it done when it ends). */
  async run<R>(transaction: T, work: () => Promise<R>): Promise<R> {
    open++;
    enabled.add(this.#storage as AsyncLocalStorage<unknown>);
    try {
      return await this.#storage.run(transaction, work);
    } finally {
      open--;
      if (open === 0) {
        for (const storage of enabled) storage.disable();
        enabled.clear();
      }
    }
  }
}
