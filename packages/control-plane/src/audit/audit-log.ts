import { canonicalize, digest, type JsonValue, leafHash, toHex } from '@isotyp/protocol';
import type { AuditEntryRecord, Store } from '../storage/store.js';

const utf8 = new TextEncoder();

/** What the control plane records: who did what to which object, in which organisation. */
export interface AuditEvent {
  orgId: string;
  /** `user:<id>`, `ci:<token id>`, `agent:<id>` or `system`. */
  actor: string;
  action: string;
  entity: { kind: string; id: string };
  /** Digested into the entry, never stored: names, reasons and envelopes stay out of the log text. */
  details?: JsonValue;
}

/**
 * The canonical entry the control plane's Merkle log commits to. It has the agent log's fields
 * plus `org`, so an entry cannot be moved between organisations without breaking the tree.
 */
export function auditEntryText(event: AuditEvent, seq: number, time: string): string {
  return canonicalize({
    seq,
    time,
    org: event.orgId,
    actor: event.actor,
    action: event.action,
    entity: { kind: event.entity.kind, id: event.entity.id },
    detailsDigest: digest('audit-entry', event.details ?? {}),
  });
}

/**
 * Appends one event to the control plane's audit log. The store assigns the sequence number
 * atomically (replicas never share one); the leaf hash is over the canonical entry text.
 *
 * @example
 * await appendAudit(store, { orgId, actor: 'user:u1', action: 'change.submit', entity: { kind: 'change', id } });
 */
export function appendAudit(store: Store, event: AuditEvent, now: Date = new Date()): Promise<AuditEntryRecord> {
  const time = now.toISOString();
  return store.audit.append((seq) => {
    const entry = auditEntryText(event, seq, time);
    return {
      seq,
      orgId: event.orgId,
      time,
      action: event.action,
      entityKind: event.entity.kind,
      entityId: event.entity.id,
      entry,
      leafHash: toHex(leafHash(utf8.encode(entry))),
    };
  });
}

/**
 * Records a server-wide step in every organisation's log: each one's access tokens, agent CA and
 * audit checkpoints depend on what it changed. The actor is `system`: the database knows no
 * operator, and whoever ran the step had the server's own credentials. Call it inside the step's
 * transaction, so that the step and its entries commit together.
 *
 * @example
 * await appendServerAudit(store, 'server.signing-key.rotate', { kind: 'signing-key', id: kid }, { reason: 'command' });
 */
export async function appendServerAudit(
  store: Store,
  action: string,
  entity: AuditEvent['entity'],
  details: { [key: string]: JsonValue },
): Promise<void> {
  const at = new Date();
  for (const org of await store.orgs.list()) {
    await appendAudit(store, { orgId: org.id, actor: 'system', action, entity, details }, at);
  }
}
