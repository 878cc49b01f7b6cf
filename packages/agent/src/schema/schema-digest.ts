import { type Digest, digest, type SchemaModel } from '@isotyp/protocol';

/** The schema digest: SHA-256 over the canonical JSON of the model, domain `schema`. */
export function schemaDigest(model: SchemaModel): Digest<'schema'> {
  return digest('schema', model);
}

/** Sorts by `name` with a locale-independent comparison so the digest is stable everywhere. */
export function byName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Counts of each object kind, for summaries that must not reveal names. */
export function summarizeModel(model: SchemaModel): Record<string, number> {
  const counts = { tables: 0, columns: 0, indexes: 0, foreignKeys: 0, views: 0, triggers: 0 };
  for (const ns of model.namespaces) {
    counts.tables += ns.tables.length;
    counts.views += ns.views.length;
    counts.triggers += ns.triggers.length;
    for (const t of ns.tables) {
      counts.columns += t.columns.length;
      counts.indexes += t.indexes.length;
      counts.foreignKeys += t.foreignKeys.length;
    }
  }
  return counts;
}
