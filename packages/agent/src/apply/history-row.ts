import { digest } from '@isotyp/protocol';
import type { NewHistoryRecord } from './session.js';

/**
 * The values of a new history row, in the column order both dialects use (direction, plan
 * digest, from/to digests, from/to versions, plan, model, reverts id, actor, applied at,
 * duration, checksum), ending with its checksum: the `history-entry` digest of the
 * record, so an edited row no longer matches it.
 */
export function historyValues(row: NewHistoryRecord): (string | number | null)[] {
  return [
    row.direction,
    row.planDigest,
    row.fromDigest,
    row.toDigest,
    row.fromVersion,
    row.toVersion,
    JSON.stringify(row.plan),
    JSON.stringify(row.model),
    row.revertsId,
    row.actor,
    row.appliedAt,
    row.durationMs,
    digest('history-entry', row),
  ];
}
