import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditEntry, type AuditLog, type NewAuditEntry, openAuditLog } from '@isotyp/agent';
import {
  type Checkpoint,
  fromBase64,
  fromHex,
  IsotypError,
  isIsotypError,
  leafHash,
  openCheckpoint,
  toBase64,
  verifyConsistency,
  verifyInclusion,
} from '@isotyp/protocol';
import { z } from 'zod';
import { isotypHome } from '../config.js';
import { ControlPlaneClient } from './control-plane/client.js';
import { writePrivateFile } from './control-plane/files.js';
import { SessionFile } from './control-plane/session.js';

/** The agent's local audit log: $ISOTYP_HOME/audit.db. */
export function auditLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(isotypHome(env), 'audit.db');
}

export function withAuditLog<T>(work: (log: AuditLog) => T, env: NodeJS.ProcessEnv = process.env): T {
  const log = openAuditLog(auditLogPath(env));
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

export function entityHistory(entity: string, env: NodeJS.ProcessEnv = process.env): AuditEntry[] {
  const { kind, id } = parseEntity(entity);
  return withAuditLog((log) => log.history(kind, id), env);
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

/** One line of `isotyp audit history`: from this agent's log or from the control plane's. */
export type HistoryEntry = AuditEntry & {
  source: 'agent' | 'control-plane';
  /** Control-plane entries: whether the entry was proven to be in the log's signed checkpoint. */
  verified?: boolean;
  /** Why a control-plane entry could not be verified. */
  unverified?: string;
};

const cpEntrySchema = z.object({ seq: z.number().int().nonnegative(), entry: z.string() });
const entriesSchema = z.object({ entries: z.array(cpEntrySchema), next: z.number().int().optional() });
const checkpointSchema = z.object({ note: z.string() });
const logKeySchema = z.object({ name: z.string(), publicKey: z.string(), vkey: z.string() });
const inclusionSchema = z.object({
  leafIndex: z.number().int(),
  treeSize: z.number().int(),
  hashes: z.array(z.string()),
  entry: z.string(),
});
/** What the CLI remembers of each control plane's log: the key first seen (pinned) and the last verified head. */
const pinsSchema = z.record(
  z.string(),
  z.object({ name: z.string(), publicKey: z.string(), vkey: z.string(), size: z.number().int(), root: z.string() }),
);
type Pins = z.infer<typeof pinsSchema>;

/**
 * An entity's whole story: this agent's log and, when `isotyp login` left a session, the control
 * plane's entries about it, merged by time. Each control-plane entry is shown from its own
 * hashed text and only marked verified when its inclusion proof leads to the log's checkpoint,
 * signed by the log key this CLI pinned the first time it saw it and consistent with the last
 * checkpoint it verified. Without a session this is `entityHistory`.
 */
export async function mergedHistory(
  entity: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ entries: AuditEntry[] | HistoryEntry[]; warning?: string }> {
  const local = entityHistory(entity, env);
  const file = new SessionFile(isotypHome(env));
  const session = file.read();
  if (session === undefined) return { entries: local };
  const client = new ControlPlaneClient({ server: session.server, credentials: { kind: 'session', session, file } });
  let remote: HistoryEntry[];
  let warning: string | undefined;
  try {
    remote = await controlPlaneHistory(client, entity, env);
  } catch (error) {
    if (!isIsotypError(error)) throw error;
    remote = [];
    warning = `The control plane's entries are not shown: ${error.message}`;
  }
  const mine: HistoryEntry[] = local.map((e) => ({ ...e, source: 'agent' }));
  const entries = [...mine, ...remote].sort(
    (a, b) => a.time.localeCompare(b.time) || a.source.localeCompare(b.source) || a.seq - b.seq,
  );
  return { entries, ...(warning === undefined ? {} : { warning }) };
}

async function controlPlaneHistory(
  client: ControlPlaneClient,
  entity: string,
  env: NodeJS.ProcessEnv,
): Promise<HistoryEntry[]> {
  parseEntity(entity);
  const listed: z.infer<typeof cpEntrySchema>[] = [];
  for (let after: number | undefined; ; ) {
    const page = await client.get('/v1/audit/entries', entriesSchema, { entity, limit: 1000, after });
    listed.push(...page.entries);
    if (page.next === undefined || page.entries.length === 0) break;
    after = page.next;
  }
  if (listed.length === 0) return [];
  // Fetched after the entries, so every one of them is inside this checkpoint.
  const head = await trustedHead(client, env);
  const entries: HistoryEntry[] = [];
  for (const item of listed) {
    const shown = shownEntry(item.entry, item.seq);
    if (shown === undefined) {
      entries.push(unverifiedEntry(item.seq, 'the entry text is not an audit entry'));
      continue;
    }
    if (typeof head === 'string') {
      entries.push({ ...shown, source: 'control-plane', verified: false, unverified: head });
      continue;
    }
    const why = await inclusionProblem(client, head, item.seq, item.entry);
    entries.push({
      ...shown,
      source: 'control-plane',
      verified: why === undefined,
      ...(why ? { unverified: why } : {}),
    });
  }
  return entries;
}

/** The control plane's checkpoint once verified against the pinned key and the last head seen, or why not. */
async function trustedHead(client: ControlPlaneClient, env: NodeJS.ProcessEnv): Promise<Checkpoint | string> {
  const pinsPath = join(isotypHome(env), 'control-plane-logs.json');
  const pins = readPins(pinsPath);
  const served = await client.get('/v1/audit/log-key', logKeySchema);
  const pinned = pins[client.server];
  if (pinned !== undefined && pinned.vkey !== served.vkey) {
    return `the control plane's log key changed since this CLI pinned it (${pinned.vkey})`;
  }
  const key = pinned ?? { ...served, size: 0, root: '' };
  let head: Checkpoint;
  try {
    const { note } = await client.get('/v1/audit/checkpoint', checkpointSchema);
    head = openCheckpoint(note, [{ name: key.name, publicKey: fromBase64(key.publicKey, 32) }], key.name);
  } catch (error) {
    return `its checkpoint does not verify (${isIsotypError(error) ? error.code : 'error'})`;
  }
  if (pinned !== undefined && pinned.size > 0) {
    if (head.size < pinned.size) return `its log shrank from ${pinned.size} to ${head.size} entries`;
    if (head.size === pinned.size && head.root !== pinned.root) return 'its log forked: another tree of the same size';
    if (head.size > pinned.size) {
      const proof = await client.get(
        '/v1/audit/proof/consistency',
        z.object({ hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)) }),
        { from: pinned.size, to: head.size },
      );
      const ok = verifyConsistency(
        pinned.size,
        head.size,
        fromBase64(pinned.root, 32),
        fromBase64(head.root, 32),
        proof.hashes.map(fromHex),
      );
      if (!ok) return `its log of ${head.size} entries does not extend the one of ${pinned.size} seen before`;
    }
  }
  pins[client.server] = { name: key.name, publicKey: key.publicKey, vkey: key.vkey, size: head.size, root: head.root };
  writePrivateFile(pinsPath, `${JSON.stringify(pins, null, 2)}\n`, { overwrite: true });
  return head;
}

async function inclusionProblem(
  client: ControlPlaneClient,
  head: Checkpoint,
  seq: number,
  text: string,
): Promise<string | undefined> {
  let proof: z.infer<typeof inclusionSchema>;
  try {
    proof = await client.get('/v1/audit/proof/inclusion', inclusionSchema, { seq, size: head.size });
  } catch (error) {
    return `no inclusion proof (${isIsotypError(error) ? error.code : 'error'})`;
  }
  if (proof.leafIndex !== seq || proof.treeSize !== head.size || proof.entry !== text) {
    return 'the proof is for another entry or tree';
  }
  const path = proof.hashes.every((h) => /^[0-9a-f]{64}$/.test(h)) ? proof.hashes.map(fromHex) : undefined;
  const leaf = leafHash(new TextEncoder().encode(text));
  if (path === undefined || !verifyInclusion(seq, head.size, leaf, path, fromBase64(head.root, 32))) {
    return 'its inclusion proof does not lead to the signed checkpoint';
  }
  return undefined;
}

/** The fields shown, read from the hashed text itself (never from fields the server lists beside it). */
function shownEntry(text: string, seq: number): AuditEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = z
    .object({
      seq: z.literal(seq),
      time: z.string(),
      actor: z.string(),
      action: z.string(),
      entity: z.object({ kind: z.string(), id: z.string() }),
      detailsDigest: z.string(),
    })
    .safeParse(value);
  return parsed.success ? (parsed.data as AuditEntry) : undefined;
}

function unverifiedEntry(seq: number, why: string): HistoryEntry {
  return {
    seq,
    time: '',
    actor: '?',
    action: '?',
    entity: { kind: '?', id: '?' },
    detailsDigest: '' as AuditEntry['detailsDigest'],
    source: 'control-plane',
    verified: false,
    unverified: why,
  };
}

function readPins(path: string): Pins {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = pinsSchema.safeParse(value);
  if (!parsed.success) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `${path} is damaged.`, {
      hint: 'It holds the control plane log keys this CLI pinned; restore it, or delete it to pin afresh.',
    });
  }
  return parsed.data;
}
