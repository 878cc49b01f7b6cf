import { canonicalize } from '@isotyp/protocol';

interface Handlers<T> {
  create(item: T): void;
  drop(item: T): void;
  change(from: T, to: T): void;
}

/** Matches two lists by key and calls back for added, removed and changed items. */
export function diffByName<T>(from: T[], to: T[], key: (item: T) => string, handlers: Handlers<T>): void {
  const old = byKey(from, key);
  const now = byKey(to, key);
  for (const [k, item] of now) {
    const before = old.get(k);
    if (before === undefined) handlers.create(item);
    else if (!deepEqual(before, item)) handlers.change(before, item);
  }
  for (const [k, item] of old) if (!now.has(k)) handlers.drop(item);
}

export function byKey<T>(items: T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

/** Structural equality through canonical JSON: key order and undefined fields do not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  // Most compared properties are strings, booleans or null: compare those directly (the diff of a
  // 5,000-table model makes hundreds of thousands of these calls). Optional model fields may be
  // absent (undefined), which canonical JSON cannot serialise alone.
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalize(a) === canonicalize(b);
}
