import type { Namespace } from '@isotyp/protocol';

/** A namespace with no objects: the starting point of introspection and the other side of a create or drop. */
export function emptyNamespace(name: string, comment: string | null = null): Namespace {
  return { name, tables: [], views: [], enums: [], domains: [], sequences: [], routines: [], triggers: [], comment };
}
