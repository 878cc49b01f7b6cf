import type { DomainEvent } from '@isotyp/protocol';
import type { AuditEntryRecord, Store } from '../storage/store.js';

/**
 * The control plane's audit log is its outbox. Every write request is one transaction
 * (middleware/transaction.ts), so an entry commits with the change it records; the log's seq is
 * taken under a lock held until commit, so entries become visible in seq order with no gap — a
 * reader that has seen seq n has missed nothing below it. Events are read from the log by seq;
 * nothing else needs to be written for them, and none can be lost while the log is intact.
 */

/** The event an audit entry announces. */
export function eventOf(entry: AuditEntryRecord): DomainEvent {
  let actor = 'system';
  try {
    const parsed = JSON.parse(entry.entry) as { actor?: unknown };
    if (typeof parsed.actor === 'string') actor = parsed.actor;
  } catch {
    // The entry text is canonical JSON written by this code; a row that is not stays 'system'
    // here and is reported by the log's own verification.
  }
  return {
    id: `evt_${entry.seq}`,
    seq: entry.seq,
    type: entry.action,
    time: entry.time,
    org: entry.orgId,
    actor,
    entity: { kind: entry.entityKind, id: entry.entityId },
  };
}

/** Events after `after` (exclusive) up to `limit` entries of the whole log, in seq order. */
export async function readEvents(store: Store, after: number, limit: number): Promise<DomainEvent[]> {
  const entries = await store.audit.range(after + 1, after + 1 + limit);
  return entries.map(eventOf);
}
