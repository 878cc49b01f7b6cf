import { createHash } from 'node:crypto';
import { canonicalize, type Digest, domainTag, type SchemaModel } from '@isotyp/protocol';

/**
 * The schema digest: SHA-256 over the `schema` domain tag and the canonical JSON of the model —
 * exactly protocol's `digest('schema', model)` (a test pins the two together), hashed with
 * Node's native SHA-256: for a 5,000-table model (~7 MB of canonical JSON) the portable one,
 * which must also run in browsers, costs tens of milliseconds more on every plan.
 */
export function schemaDigest(model: SchemaModel): Digest<'schema'> {
  return canonicalSchemaDigest(canonicalize(model));
}

/**
 * The schema digest of a model whose canonical JSON (`canonicalize(model)`) is `text`, for
 * callers that hold that text already (the desired-state cache stores it).
 */
export function canonicalSchemaDigest(text: string): Digest<'schema'> {
  const hash = createHash('sha256').update(domainTag('schema')).update(text, 'utf8');
  return `sha256:${hash.digest('hex')}` as Digest<'schema'>;
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
