import {
  type Checkpoint,
  fromBase64,
  fromHex,
  IsotypError,
  isIsotypError,
  type NoteKey,
  openCheckpoint,
  parseVkey,
  verifyConsistency,
} from '@isotyp/protocol';
import type { Logger } from 'pino';
import type { AgentCheckpointRecord, Store } from '../storage/store.js';
import { appendAudit } from './audit-log.js';

/** What an agent sends: its signed checkpoint and the proof that it extends the last accepted one. */
export interface AgentCheckpointReport {
  agentId: string;
  /** The C2SP checkpoint note, signed with the agent's log key. */
  note: string;
  /** The agent's verifier key; required the first time (it pins the key), compared afterwards. */
  vkey?: string | undefined;
  /** Consistency proof (hex) from the previous accepted checkpoint to this one. */
  consistency: readonly string[];
}

/** Why a checkpoint was refused as evidence of tampering. */
export type TamperReason = 'truncation' | 'fork' | 'inconsistent' | 'signature' | 'key-changed';

export interface AcceptContext {
  store: Store;
  orgId: string;
  /** Who reported it, for the alert's audit entry. */
  actor: string;
  now: Date;
  logger?: Logger | undefined;
}

export interface AcceptOutcome {
  /** False when this exact checkpoint was already the latest (nothing new stored). */
  created: boolean;
  checkpoint: AgentCheckpointRecord;
}

/**
 * Accepts an agent's checkpoint when it is signed by the agent's pinned key and provably extends
 * the last accepted one (RFC 9162 consistency). A smaller tree (truncation), the same size with
 * another root (a fork), a failing proof, a bad signature or another key is an alert: an audit
 * entry (`audit.fork-detected`, or `audit.checkpoint-forged` for signatures) about `agent:<id>`,
 * a warning in the log, and ISOTYP_AUDIT_TAMPERED (409); the checkpoint is not stored. Malformed
 * input is a plain ISOTYP_INVALID_INPUT and raises nothing.
 *
 * @example
 * const { created } = await acceptAgentCheckpoint(report, { store, orgId, actor, now: new Date() });
 */
export async function acceptAgentCheckpoint(report: AgentCheckpointReport, ctx: AcceptContext): Promise<AcceptOutcome> {
  const { store, orgId } = ctx;
  const previous = await store.agentCheckpoints.latest(orgId, report.agentId);
  const proof = report.consistency.map((h) => decodeHash(h));
  const offered = report.vkey === undefined ? undefined : parseVkey(report.vkey);
  const pinned = previous === undefined ? undefined : parseVkey(previous.vkey);
  const alert = (reason: TamperReason, message: string, checkpoint?: Checkpoint) =>
    raiseAlert(ctx, report.agentId, reason, message, previous, checkpoint);

  if (pinned !== undefined && offered !== undefined && !sameKey(pinned, offered)) {
    return alert('key-changed', 'The checkpoint names another log key than the one this agent pinned.');
  }
  const key = pinned ?? offered;
  if (key === undefined) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `Agent ${report.agentId} has no pinned log key yet.`, {
      hint: "Send the agent's verifier key (vkey) with its first checkpoint.",
    });
  }
  // Before anything is pinned a bad signature is a broken report, not evidence against a log.
  const checkpoint =
    previous === undefined ? openCheckpoint(report.note, [key], key.name) : openSigned(report.note, key);
  if (checkpoint === undefined) return alert('signature', "The checkpoint's signature does not verify.");

  if (previous !== undefined) {
    if (checkpoint.size < previous.size) {
      return alert('truncation', `The log shrank from ${previous.size} to ${checkpoint.size} entries.`, checkpoint);
    }
    if (checkpoint.size === previous.size) {
      if (checkpoint.root !== previous.root) {
        return alert('fork', `Two different trees of ${checkpoint.size} entries were signed.`, checkpoint);
      }
      return { created: false, checkpoint: previous };
    }
    // Every tree extends the empty one, and RFC 9162 has no proof from it.
    const consistent =
      previous.size === 0
        ? proof.length === 0
        : verifyConsistency(
            previous.size,
            checkpoint.size,
            fromBase64(previous.root, 32),
            fromBase64(checkpoint.root, 32),
            proof,
          );
    if (!consistent) {
      return alert(
        'inconsistent',
        `The tree of ${checkpoint.size} entries is not proven to extend the accepted one of ${previous.size}.`,
        checkpoint,
      );
    }
  }
  const record: AgentCheckpointRecord = {
    orgId,
    agentId: report.agentId,
    ordinal: (previous?.ordinal ?? 0) + 1,
    size: checkpoint.size,
    root: checkpoint.root,
    note: report.note,
    vkey: previous?.vkey ?? (report.vkey as string),
    createdAt: ctx.now.toISOString(),
  };
  if (!(await store.agentCheckpoints.append(record))) {
    throw new IsotypError('ISOTYP_CONFLICT', `Another checkpoint of agent ${report.agentId} was accepted meanwhile.`, {
      hint: 'Send the checkpoint again with a consistency proof from the newly accepted one.',
    });
  }
  return { created: true, checkpoint: record };
}

/** The opened checkpoint, or undefined when the pinned key's signature is missing or wrong. */
function openSigned(note: string, key: NoteKey): Checkpoint | undefined {
  try {
    return openCheckpoint(note, [key], key.name);
  } catch (error) {
    if (isIsotypError(error) && (error.code === 'ISOTYP_SIGNATURE_INVALID' || error.code === 'ISOTYP_KEY_UNKNOWN')) {
      return undefined;
    }
    throw error;
  }
}

async function raiseAlert(
  ctx: AcceptContext,
  agentId: string,
  reason: TamperReason,
  message: string,
  previous: AgentCheckpointRecord | undefined,
  offered: Checkpoint | undefined,
): Promise<never> {
  const forged = reason === 'signature' || reason === 'key-changed';
  const accepted = previous === undefined ? undefined : { size: previous.size, root: previous.root };
  const details = {
    reason,
    agentId,
    ...(accepted === undefined ? {} : { accepted }),
    ...(offered === undefined ? {} : { offered: { size: offered.size, root: offered.root } }),
  };
  await appendAudit(
    ctx.store,
    {
      orgId: ctx.orgId,
      actor: ctx.actor,
      action: forged ? 'audit.checkpoint-forged' : 'audit.fork-detected',
      entity: { kind: 'agent', id: agentId },
      details,
    },
    ctx.now,
  );
  ctx.logger?.warn({ alert: 'audit-tampered', orgId: ctx.orgId, ...details }, message);
  throw new IsotypError('ISOTYP_AUDIT_TAMPERED', `Agent ${agentId}'s audit log: ${message}`, {
    hint: "The checkpoint was refused and an alert recorded. Run isotyp audit verify on the agent's host.",
    details,
  });
}

function sameKey(a: NoteKey, b: NoteKey): boolean {
  return a.name === b.name && Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey));
}

function decodeHash(hex: string): Uint8Array {
  const bytes = /^[0-9a-f]{64}$/.test(hex) ? fromHex(hex) : undefined;
  if (bytes === undefined) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'A consistency proof hash must be 64 lower-case hex digits.');
  }
  return bytes;
}
