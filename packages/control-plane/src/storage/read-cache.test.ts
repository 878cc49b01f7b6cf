import { describe, expect, it } from 'vitest';
import { ReadCache } from './read-cache.js';
import type { Store } from './store.js';

/** Only what ReadCache touches: a stamp the test moves by hand (the stores' own stamps are tested in the store suite). */
function stampedStore() {
  const state = { stamp: 's1' as string | undefined };
  return { state, store: { stamp: () => state.stamp } as unknown as Store };
}

describe('ReadCache', () => {
  it('loads once per stamp, and again after the stamp moves', async () => {
    const { state, store } = stampedStore();
    const cache = new ReadCache<number>(store, { tables: ['targets'], max: 10 });
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(1);
    state.stamp = 's2';
    expect(await cache.get('k', load)).toBe(2);
    expect(await cache.get('other', load)).toBe(3);
  });

  it('shares one load between concurrent misses and keeps no failed load', async () => {
    const { store } = stampedStore();
    const cache = new ReadCache<string>(store, { tables: ['changes'], max: 10 });
    let loads = 0;
    let release: (value: string) => void = () => {};
    const slow = () => {
      loads++;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    };
    const both = Promise.all([cache.get('k', slow), cache.get('k', slow)]);
    release('once');
    expect(await both).toEqual(['once', 'once']);
    expect(loads).toBe(1);

    const failing = new ReadCache<string>(store, { tables: ['changes'], max: 10 });
    await expect(failing.get('k', async () => Promise.reject(new Error('database down')))).rejects.toThrow(
      'database down',
    );
    expect(await failing.get('k', async () => 'recovered')).toBe('recovered');
  });

  it('peeks only at a value loaded, current and not yet turned', async () => {
    const { state, store } = stampedStore();
    let clock = 1000;
    const cache = new ReadCache<number>(store, {
      tables: ['users'],
      max: 10,
      validUntil: () => 2000,
      now: () => clock,
    });
    expect(cache.peek('k')).toBeUndefined();
    let release: (value: number) => void = () => {};
    const loading = cache.get('k', () => new Promise<number>((resolve) => (release = resolve)));
    expect(cache.peek('k')).toBeUndefined();
    release(7);
    await loading;
    expect(cache.peek('k')).toBe(7);
    clock = 2000;
    expect(cache.peek('k')).toBeUndefined();
    clock = 1000;
    state.stamp = 's2';
    expect(cache.peek('k')).toBeUndefined();
    state.stamp = undefined;
    expect(cache.peek('k')).toBeUndefined();
  });

  it('serves nothing from memory while the store cannot follow other writers', async () => {
    const { state, store } = stampedStore();
    state.stamp = undefined;
    const cache = new ReadCache<number>(store, { tables: ['users'], max: 10 });
    let loads = 0;
    await cache.get('k', async () => ++loads);
    await cache.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });

  it('loads again from the instant a value says it may have turned, and forgets the oldest beyond max', async () => {
    const { store } = stampedStore();
    let clock = 1000;
    const cache = new ReadCache<{ n: number; until: number }>(store, {
      tables: ['approvals'],
      max: 2,
      validUntil: (v) => v.until,
      now: () => clock,
    });
    let loads = 0;
    const load = async () => ({ n: ++loads, until: 2000 });
    expect((await cache.get('k', load)).n).toBe(1);
    clock = 1999;
    expect((await cache.get('k', load)).n).toBe(1);
    clock = 2000;
    expect((await cache.get('k', load)).n).toBe(2);

    const counted = new ReadCache<number>(store, { tables: ['targets'], max: 2 });
    let n = 0;
    const next = async () => ++n;
    await counted.get('a', next);
    await counted.get('b', next);
    await counted.get('c', next); // 'a' goes
    expect(await counted.get('b', next)).toBe(2);
    expect(await counted.get('a', next)).toBe(4);
  });
});
