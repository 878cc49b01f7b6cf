import type { PlanOperation } from '@isotyp/protocol';
import type { Change } from '../diff/changes.js';

export type SemverBump = 'major' | 'minor' | 'patch' | 'none';

/** Actions that only touch indexes or comments: a patch release of the schema. */
const PATCH_ACTIONS = /^(?:create|drop|replace)-index$|comment/;
/** Actions that break readers or writers of the old schema even when no data is lost. */
const BREAKING_ACTIONS =
  /^(?:rename-|drop-(?!index$))|alter-column-type|set-not-null|add-(?:unique|check|foreign-key|primary-key|exclusion)/;

/**
 * The semantic-version bump a plan implies: major when anything is destructive or breaks
 * existing clients (judged from the operations and, because one SQLite rebuild can carry
 * several changes, from the changes themselves), patch when only indexes or comments change,
 * minor for other additions.
 */
export function semverBump(ops: readonly PlanOperation[], changes: readonly Change[] = []): SemverBump {
  if (ops.length === 0) return 'none';
  if (ops.some((op) => op.risk === 'destructive' || op.dataLoss || BREAKING_ACTIONS.test(op.action))) return 'major';
  if (changes.some(breaksClients)) return 'major';
  if (ops.every((op) => PATCH_ACTIONS.test(op.action))) return 'patch';
  return 'minor';
}

/** A change that makes writes (or reads) valid today fail tomorrow. */
function breaksClients(change: Change): boolean {
  switch (change.kind) {
    case 'drop-table':
    case 'rename-table':
    case 'drop-view':
    case 'drop-namespace':
    case 'drop-enum':
    case 'drop-domain':
    case 'drop-routine':
      return true;
    case 'alter-table':
      return change.changes.some((c) => {
        switch (c.kind) {
          case 'drop-column':
          case 'rename-column':
          case 'add-unique':
          case 'add-check':
          case 'add-foreign-key':
            return true;
          case 'add-column':
            return (
              !c.column.nullable &&
              c.column.default === null &&
              c.column.generated === null &&
              c.column.identity === null
            );
          case 'alter-column':
            return c.properties.includes('type') || (c.properties.includes('nullable') && !c.to.nullable);
          case 'set-primary-key':
            return true;
          case 'add-index':
            return c.index.unique;
          default:
            return false;
        }
      });
    default:
      return false;
  }
}

/** Applies a bump to a MAJOR.MINOR.PATCH version (protocol's rule, shared with the control plane). */
export { bumpVersion } from '@isotyp/protocol';
