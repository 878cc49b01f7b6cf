import type { Digest, SchemaModel } from '@isotyp/protocol';
import { diffSchemas } from '../diff/diff.js';
import { schemaDigest } from '../schema/schema-digest.js';
import type { ChangeRunner } from './session.js';

export interface DriftReport {
  drifted: boolean;
  live: Digest<'schema'>;
  /** The digest Isotyp last left the target at, or null when it never changed it. */
  expected: Digest<'schema'> | null;
  /** Objects that differ from the last applied state, as `kind namespace.name`. */
  objects: string[];
}

/**
 * Compares the live schema with the state Isotyp last left it in (the newest history row).
 * A target Isotyp never changed has no expected state and is reported as not drifted.
 */
export async function detectDrift(runner: ChangeRunner): Promise<DriftReport> {
  return runner.read(async (session) => {
    const model = await session.introspect();
    const live = schemaDigest(model);
    const latest = await session.latest();
    if (latest === undefined) return { drifted: false, live, expected: null, objects: [] };
    const expected = latest.toDigest;
    if (live === expected) return { drifted: false, live, expected, objects: [] };
    return { drifted: true, live, expected, objects: changedObjects(latest.model, model) };
  });
}

/** Names of the objects that differ between two models. */
export function changedObjects(from: SchemaModel, to: SchemaModel): string[] {
  return diffSchemas(from, to).changes.map((change) => {
    const name = (obj: { name: string }) => ('namespace' in change ? `${change.namespace}.${obj.name}` : obj.name);
    switch (change.kind) {
      case 'alter-table':
      case 'rename-table':
        return `${change.kind} ${name(change.to)}`;
      case 'create-table':
      case 'drop-table':
        return `${change.kind} ${name(change.table)}`;
      default: {
        const subject = Object.values(change).find(
          (v): v is { name: string } => typeof v === 'object' && v !== null && 'name' in v,
        );
        return `${change.kind} ${subject === undefined ? '' : name(subject)}`.trim();
      }
    }
  });
}
