import { describe, expect, it } from 'vitest';
import { TransactionScope } from './transaction-scope.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TransactionScope', () => {
  it('names the transaction on its own async path only, and none once it is done', async () => {
    const scope = new TransactionScope<{ done: boolean; name: string }>();
    const transaction = { done: false, name: 'a' };
    let outside: string | undefined = 'unset';
    let late: (() => string | undefined) | undefined;
    const seen = await scope.run(transaction, async () => {
      await tick();
      late = () => scope.current()?.name;
      return scope.current()?.name;
    });
    await Promise.all([
      (async () => {
        outside = scope.current()?.name;
      })(),
    ]);
    expect(seen).toBe('a');
    expect(outside).toBeUndefined();
    transaction.done = true;
    expect(late?.()).toBeUndefined();
  });

  it('keeps a transaction that is still open visible when another one, started earlier, ends', async () => {
    const scope = new TransactionScope<{ done: boolean; name: string }>();
    const other = new TransactionScope<{ done: boolean }>();
    let finishFirst = () => {};
    const first = other.run({ done: false }, () => new Promise<void>((resolve) => (finishFirst = resolve)));
    const second = scope.run({ done: false, name: 'b' }, async () => {
      await tick();
      finishFirst();
      await first;
      await tick();
      return scope.current()?.name;
    });
    expect(await second).toBe('b');
  });

  it('runs nested and concurrent transactions each with their own', async () => {
    const scope = new TransactionScope<{ done: boolean; name: string }>();
    const names = await Promise.all(
      ['x', 'y', 'z'].map((name) =>
        scope.run({ done: false, name }, async () => {
          await tick();
          const inner = await scope.run({ done: false, name: `${name}!` }, async () => {
            await tick();
            return scope.current()?.name;
          });
          return [scope.current()?.name, inner];
        }),
      ),
    );
    expect(names).toEqual([
      ['x', 'x!'],
      ['y', 'y!'],
      ['z', 'z!'],
    ]);
  });

  it('switches its storage off once no transaction is open: later paths see none, marked done or not', async () => {
    const scope = new TransactionScope<{ done: boolean }>();
    // Never marked done: what a path started inside it sees afterwards comes only from whether
    // the storage is still on.
    const transaction = { done: false };
    let wake = () => {};
    let detached: Promise<unknown> | undefined;
    await scope.run(transaction, async () => {
      detached = (async () => {
        await new Promise<void>((resolve) => (wake = resolve));
        return scope.current();
      })();
      expect(scope.current()).toBe(transaction);
    });
    wake();
    expect(await detached).toBeUndefined();

    // While another transaction is still open, the storage stays on and the path keeps its own.
    const open = { done: false };
    let release = () => {};
    const held = scope.run(open, () => new Promise<void>((resolve) => (release = resolve)));
    let wakeAgain = () => {};
    let detachedAgain: Promise<unknown> | undefined;
    await scope.run(transaction, async () => {
      detachedAgain = (async () => {
        await new Promise<void>((resolve) => (wakeAgain = resolve));
        return scope.current();
      })();
    });
    wakeAgain();
    expect(await detachedAgain).toBe(transaction);
    release();
    await held;
  });
});
