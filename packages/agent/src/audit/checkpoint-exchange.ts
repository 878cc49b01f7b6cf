import {
  type Checkpoint,
  formatVkey,
  fromBase64,
  IsotypError,
  isIsotypError,
  leafHash,
  openCheckpoint,
  parseVkey,
  signCheckpoint,
  toBase64,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '@isotyp/protocol';
import type { AuditLog } from './audit-log.js';

/*
 * The two directions of audit checkpoints between an agent and its control plane. Upward: the
 * agent signs a checkpoint of its own log and proves it extends the last one the control plane
 * accepted (the control plane raises an alert otherwise). Downward: the agent checks the control
 * plane's signed checkpoint and proofs against the log key it pinned, so a compromised control
 * plane cannot rewrite, fork or cut its log unnoticed either.
 */

/** A checkpoint is due at least this often… */
export const CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;
/** …and as soon as this many entries were appended since the last one sent. */
export const CHECKPOINT_MAX_ENTRIES = 10_000;

export interface CheckpointSchedule {
  /** When the last checkpoint was sent; undefined when none was. */
  lastSentAt?: Date | undefined;
  /** Its tree size. */
  lastSentSize?: number | undefined;
  now: Date;
  /** The log's size now. */
  size: number;
}

/**
 * Whether the daemon should send a checkpoint now: every 5 minutes (also when nothing was
 * appended, so a rewrite of the same size is caught too) or once 10,000 entries accumulated;
 * at once when none was sent yet or the log shrank (the control plane must hear of that). An
 * empty log has nothing to commit to.
 *
 * @example
 * if (checkpointDue({ lastSentAt, lastSentSize, now: new Date(), size: log.size })) await send();
 */
export function checkpointDue({ lastSentAt, lastSentSize, now, size }: CheckpointSchedule): boolean {
  if (size === 0) return false;
  if (lastSentAt === undefined || lastSentSize === undefined || size < lastSentSize) return true;
  if (size - lastSentSize >= CHECKPOINT_MAX_ENTRIES) return true;
  return now.getTime() - lastSentAt.getTime() >= CHECKPOINT_INTERVAL_MS;
}

/** The agent's log key: `name` is also the checkpoints' origin, e.g. `isotyp.agent/ag_123`. */
export interface AgentLogKey {
  name: string;
  /** tweetnacl's 64-byte secret key (seed ‖ public key). */
  secretKey: Uint8Array;
}

/** The body of `POST /v1/audit/agent-checkpoints`. */
export interface CheckpointReport {
  agentId: string;
  note: string;
  vkey: string;
  /** Hex consistency proof from the last accepted checkpoint; empty for the first report. */
  consistency: string[];
}

/**
 * Checkpoints the log now and builds the report: the signed note, the agent's vkey (which pins
 * the key on the first report), and the consistency proof from the checkpoint the control plane
 * last accepted (`log.upstream()`). After the control plane accepts it, record that with
 * `log.markUpstream(…)` (sendCheckpoint does both). Undefined for an empty log.
 */
export function buildCheckpointReport(
  log: AuditLog,
  options: { agentId: string; key: AgentLogKey; now?: Date },
): { report: CheckpointReport; size: number; root: Uint8Array } | undefined {
  const head = log.checkpoint(options.now);
  if (head.size === 0) return undefined;
  const upstream = log.upstream();
  // A log that shrank below the accepted size has no proof to give; the control plane will say so.
  const proof =
    upstream !== undefined && upstream.size > 0 && upstream.size < head.size
      ? log.consistency(upstream.size, head.size)
      : [];
  const { name, secretKey } = options.key;
  const note = signCheckpoint({ origin: name, size: head.size, root: toBase64(head.root) }, { name, secretKey });
  return {
    report: {
      agentId: options.agentId,
      note,
      vkey: formatVkey({ name, publicKey: secretKey.subarray(32) }),
      consistency: proof.map(toHex),
    },
    size: head.size,
    root: head.root,
  };
}

/** One proof that an entry is in the control plane's tree, as `GET /v1/audit/proof/inclusion` answers. */
export interface ControlPlaneInclusion {
  leafIndex: number;
  treeSize: number;
  hashes: readonly string[];
  /** The entry's canonical text; its leaf is SHA-256(0x00 ‖ entry). */
  entry: string;
}

export interface ControlPlaneLogEvidence {
  /** The control plane's signed checkpoint note. */
  checkpointNote: string;
  /** The control plane's log key as pinned (C2SP vkey); its name is the log's origin. */
  vkey: string;
  /** The last checkpoint of that log this agent verified (root in standard base64). */
  previous?: { size: number; root: string } | undefined;
  /** Hex consistency proof from `previous` to the new checkpoint. */
  consistency?: readonly string[];
  inclusion?: ControlPlaneInclusion | readonly ControlPlaneInclusion[];
}

/** Which check the control plane's log failed. */
export type ControlPlaneTamper = 'signature' | 'truncation' | 'fork' | 'inconsistent' | 'inclusion';

/**
 * Checks the control plane's log the way an agent must: the checkpoint is signed by the pinned
 * key for the pinned origin, it does not shrink or fork the tree verified before, the
 * consistency proof links the two, and each inclusion proof puts its entry in this tree. Returns
 * the verified checkpoint (keep it as the next `previous`); any failure is ISOTYP_AUDIT_TAMPERED
 * with `details.reason`, never a crash on whatever the server sent. A malformed pinned `vkey` is
 * the caller's ISOTYP_KEY_INVALID.
 *
 * @example
 * const head = verifyControlPlaneLog({ checkpointNote, vkey: pinned, previous, consistency });
 */
export function verifyControlPlaneLog(evidence: ControlPlaneLogEvidence): Checkpoint {
  return checkControlPlaneTree(openControlPlaneCheckpoint(evidence.checkpointNote, evidence.vkey), evidence);
}

/** The checkpoint, once its signature by the pinned key (and origin) is checked; the first step of verifyControlPlaneLog. */
export function openControlPlaneCheckpoint(note: string, vkey: string): Checkpoint {
  const key = parseVkey(vkey);
  try {
    return openCheckpoint(note, [key], key.name);
  } catch (cause) {
    throw tampered('signature', 'its checkpoint is not signed by the pinned log key for its origin', cause);
  }
}

/** The rest of verifyControlPlaneLog, for a checkpoint openControlPlaneCheckpoint returned. */
export function checkControlPlaneTree(
  checkpoint: Checkpoint,
  evidence: Omit<ControlPlaneLogEvidence, 'checkpointNote' | 'vkey'>,
): Checkpoint {
  const root = fromBase64(checkpoint.root, 32);
  const { previous } = evidence;
  if (previous !== undefined) {
    if (checkpoint.size < previous.size) {
      throw tampered('truncation', `it shrank from ${previous.size} to ${checkpoint.size} entries`);
    }
    if (checkpoint.size === previous.size && checkpoint.root !== previous.root) {
      throw tampered('fork', `it signed two different trees of ${checkpoint.size} entries`);
    }
    if (checkpoint.size > previous.size && previous.size > 0) {
      const proof = hashesOf(evidence.consistency ?? [], 'inconsistent');
      if (!verifyConsistency(previous.size, checkpoint.size, base64Hash(previous.root), root, proof)) {
        throw tampered(
          'inconsistent',
          `its tree of ${checkpoint.size} entries does not extend the one of ${previous.size}`,
        );
      }
    }
  }
  const inclusions = evidence.inclusion === undefined ? [] : [evidence.inclusion].flat();
  for (const proof of inclusions as unknown[]) {
    // Whatever the server sent: check the shape before use, so nothing it sends can crash this.
    const { leafIndex, treeSize, hashes, entry } = (proof ?? {}) as Partial<
      Record<keyof ControlPlaneInclusion, unknown>
    >;
    if (typeof leafIndex !== 'number' || typeof treeSize !== 'number' || typeof entry !== 'string') {
      throw tampered('inclusion', 'an inclusion proof is malformed');
    }
    const leaf = leafHash(new TextEncoder().encode(entry));
    const path = hashesOf(hashes, 'inclusion');
    if (treeSize !== checkpoint.size || !verifyInclusion(leafIndex, treeSize, leaf, path, root)) {
      throw tampered('inclusion', `entry ${leafIndex} is not proven to be in its tree of ${checkpoint.size}`);
    }
  }
  return checkpoint;
}

function hashesOf(hex: unknown, reason: ControlPlaneTamper): Uint8Array[] {
  if (!Array.isArray(hex)) throw tampered(reason, 'a proof is not a list of hashes');
  return hex.map((h: unknown) => {
    if (typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h)) throw tampered(reason, 'a proof hash is malformed');
    return Uint8Array.from(Buffer.from(h, 'hex'));
  });
}

function base64Hash(text: string): Uint8Array {
  try {
    return fromBase64(text, 32);
  } catch (cause) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The previous root is not 32 bytes of standard base64.', { cause });
  }
}

/** The ISOTYP_AUDIT_TAMPERED error verifyControlPlaneLog throws, for checks made around it. */
export function tampered(reason: ControlPlaneTamper, why: string, cause?: unknown): IsotypError {
  return new IsotypError('ISOTYP_AUDIT_TAMPERED', `The control plane's audit log fails verification: ${why}.`, {
    hint: 'Do not trust this control plane until its operator explains; keep the evidence it sent.',
    details: { reason, ...(isIsotypError(cause) ? { cause: cause.code } : {}) },
    ...(cause === undefined ? {} : { cause }),
  });
}
