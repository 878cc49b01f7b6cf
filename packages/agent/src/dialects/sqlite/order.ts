/*
 * Deterministic dependency order. SQLite does not check foreign-key targets, view sources or
 * trigger bodies when objects are created, so the order is for readers and for the rare
 * statement that does resolve names; it must never depend on input order, only on names.
 */

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Items ordered so each comes after the items it depends on (Kahn's algorithm, ties by key).
 * Keys compare case-insensitively, as SQLite names do; dependencies outside `items` are
 * ignored, and a cycle is broken at its smallest remaining key.
 */
export function dependencyOrder<T>(
  items: readonly T[],
  key: (item: T) => string,
  dependsOn: (item: T) => string[],
): T[] {
  const byKey = new Map<string, T>();
  for (const item of [...items].sort((a, b) => compare(key(a), key(b)))) byKey.set(key(item).toLowerCase(), item);
  const waitingOn = new Map<string, Set<string>>();
  const dependents = new Map<string, string[]>();
  for (const [k, item] of byKey) {
    const deps = new Set(
      dependsOn(item)
        .map((d) => d.toLowerCase())
        .filter((d) => d !== k && byKey.has(d)),
    );
    waitingOn.set(k, deps);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), k]);
  }
  const ready = [...waitingOn].filter(([, deps]) => deps.size === 0).map(([k]) => k);
  const done = new Set<string>();
  const result: T[] = [];
  while (done.size < byKey.size) {
    ready.sort(compare);
    // Nothing ready means a cycle: release its smallest key.
    const next = ready.shift() ?? [...waitingOn.keys()].filter((k) => !done.has(k)).sort(compare)[0];
    if (next === undefined || done.has(next)) continue;
    done.add(next);
    result.push(byKey.get(next) as T);
    for (const dependent of dependents.get(next) ?? []) {
      const deps = waitingOn.get(dependent);
      deps?.delete(next);
      if (deps?.size === 0 && !done.has(dependent)) ready.push(dependent);
    }
  }
  return result;
}
