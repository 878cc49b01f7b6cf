/*
 * Deterministic dependency order for the PostgreSQL planner. Unlike SQLite, PostgreSQL resolves
 * names when an object is created (a view's tables, a default's function, a partition's
 * parent), so creates must follow dependencies and drops must run dependents first. The order
 * depends only on keys and ranks, never on input order, so identical inputs plan identically.
 */

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface Node<T> {
  item: T;
  /** Unique among the nodes. */
  key: string;
  /** Among nodes that are ready, lower ranks go first (e.g. functions before tables). */
  rank: number;
  /** Keys of nodes this one needs to exist first; unknown keys are ignored. */
  dependsOn: string[];
}

/**
 * Items ordered so each comes after the items it depends on (Kahn's algorithm; ties by rank,
 * then key). A cycle is broken at its lowest-ranked, smallest remaining key.
 */
export function dependencyOrder<T>(nodes: readonly Node<T>[]): T[] {
  const order = (a: Node<T>, b: Node<T>) => a.rank - b.rank || compare(a.key, b.key);
  const byKey = new Map<string, Node<T>>();
  for (const node of [...nodes].sort(order)) byKey.set(node.key, node);
  const waitingOn = new Map<string, Set<string>>();
  const dependents = new Map<string, string[]>();
  for (const [key, node] of byKey) {
    const deps = new Set(node.dependsOn.filter((d) => d !== key && byKey.has(d)));
    waitingOn.set(key, deps);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list === undefined) dependents.set(d, [key]);
      else list.push(key);
    }
  }
  // A heap, not a re-sorted array: a plan over thousands of tables has thousands ready at once.
  const ready = new Heap<Node<T>>(order);
  for (const [key, deps] of waitingOn) if (deps.size === 0) ready.push(byKey.get(key) as Node<T>);
  const remaining = [...byKey.values()];
  const done = new Set<string>();
  const result: T[] = [];
  while (done.size < byKey.size) {
    let next = ready.pop();
    if (next === undefined) {
      // Nothing ready means a cycle: release its lowest-ranked, smallest key.
      while (remaining.length > 0 && done.has((remaining[0] as Node<T>).key)) remaining.shift();
      next = remaining[0];
    }
    if (next === undefined) break;
    if (done.has(next.key)) continue;
    done.add(next.key);
    result.push(next.item);
    for (const dependent of dependents.get(next.key) ?? []) {
      const deps = waitingOn.get(dependent);
      deps?.delete(next.key);
      if (deps?.size === 0 && !done.has(dependent)) ready.push(byKey.get(dependent) as Node<T>);
    }
  }
  return result;
}

/** A binary min-heap. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(items[i] as T, items[parent] as T) >= 0) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.less(items[left] as T, items[smallest] as T) < 0) smallest = left;
      if (right < items.length && this.less(items[right] as T, items[smallest] as T) < 0) smallest = right;
      if (smallest === i) return top;
      [items[i], items[smallest]] = [items[smallest] as T, items[i] as T];
      i = smallest;
    }
  }
}

/** Dependents first: the order in which to drop. */
export function dropOrder<T>(nodes: readonly Node<T>[]): T[] {
  return dependencyOrder(nodes).reverse();
}
