import { join } from 'node:path';
import { type AuditEntry, type AuditLog, type NewAuditEntry, openAuditLog } from '@isotyp/agent';
import { IsotypError, toBase64 } from '@isotyp/protocol';
import { isotypHome } from '../config.js';

/** The agent's local audit log: $ISOTYP_HOME/audit.db. */
export function auditLogPath(): string {
  return join(isotypHome(), 'audit.db');
}

export function withAuditLog<T>(work: (log: AuditLog) => T): T {
  const log = openAuditLog(auditLogPath());
  try {
    return work(log);
  } finally {
    log.close();
  }
}

/** Records local-mode changes (apply, rollback, migrations) in the agent's audit log. */
export function record(entries: NewAuditEntry[]): void {
  withAuditLog((log) => log.append(entries));
}

/** `kind:id`, e.g. `target:sqlite:/srv/app.db` (the id may itself contain colons). */
export function parseEntity(text: string): { kind: string; id: string } {
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) {
    throw new IsotypError('ISOTYP_USAGE', `Cannot read the entity "${text}".`, {
      hint: 'Write it as kind:id, e.g. target:sqlite:app.db.',
    });
  }
  return { kind: text.slice(0, at), id: text.slice(at + 1) };
}

export function listEntries(entity?: string, limit = 100): AuditEntry[] {
  return withAuditLog((log) => log.list({ ...(entity === undefined ? {} : { entity: parseEntity(entity) }), limit }));
}

export function entityHistory(entity: string): AuditEntry[] {
  const { kind, id } = parseEntity(entity);
  return withAuditLog((log) => log.history(kind, id));
}

export interface VerifyOutput {
  ok: true;
  size: number;
  root: string;
}

/** Verifies the whole log; a failure is ISOTYP_AUDIT_TAMPERED naming the first bad entry. */
export function verifyLog(): VerifyOutput {
  const result = withAuditLog((log) => log.verify());
  if (!result.ok) {
    throw new IsotypError(
      'ISOTYP_AUDIT_TAMPERED',
      `The audit log fails verification at entry ${result.firstBadSeq}: ${result.reason}.`,
      {
        hint: 'Keep the file for investigation; compare with the checkpoints the control plane holds.',
        details: { firstBadSeq: result.firstBadSeq, reason: result.reason, path: auditLogPath() },
      },
    );
  }
  return { ok: true, size: result.size, root: toBase64(result.root) };
}

export function proveEntry(seq: number) {
  const proof = withAuditLog((log) => log.proof(seq));
  return {
    seq: proof.seq,
    entry: proof.entry,
    leaf: toBase64(proof.leaf),
    size: proof.size,
    root: toBase64(proof.root),
    proof: proof.proof.map((p) => toBase64(p)),
  };
}
