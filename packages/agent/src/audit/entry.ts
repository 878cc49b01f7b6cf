import { hash } from 'node:crypto';
import { DIGEST_PATTERN, type Digest, digest, IsotypError, type JsonValue } from '@isotyp/protocol';

/** What an audit entry is about, e.g. `{kind: 'change', id: 'chg_123'}`. */
export interface AuditEntity {
  kind: string;
  id: string;
}

/** One stored audit entry; its canonical JSON is the Merkle leaf's data. */
export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  action: string;
  entity: AuditEntity;
  detailsDigest: Digest<'audit-entry'>;
}

/**
 * What a caller records. `details` is only digested, never stored, so a secret or a row passed
 * here cannot land in the log while the digest still pins what was meant.
 */
export interface NewAuditEntry {
  actor: string;
  action: string;
  entity: AuditEntity;
  details?: JsonValue;
}

const MAX_FIELD = 1024;
// RFC 3339 in UTC as Date#toISOString writes it; one spelling keeps the entry canonical.
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
// With the u flag a surrogate pair is one code point, so this matches only lone surrogates,
// which RFC 8785 cannot represent.
const LONE_SURROGATE = /\p{Cs}/u;

const q = JSON.stringify;

/**
 * The RFC 8785 text of an entry, written out field by field: the keys are fixed and sorted, and
 * for well-formed strings and safe integers RFC 8785 is exactly JSON.stringify. This avoids the
 * generic canonicalizer on the verify path (a million entries); `entry.test.ts` checks both agree.
 */
export function formatEntry(e: AuditEntry): string {
  return `{"action":${q(e.action)},"actor":${q(e.actor)},"detailsDigest":${q(e.detailsDigest)},"entity":{"id":${q(e.entity.id)},"kind":${q(e.entity.kind)}},"seq":${e.seq},"time":${q(e.time)}}`;
}

/**
 * The RFC 6962 leaf hash of an entry's text, SHA-256(0x00 ‖ utf8(text)), equal to protocol's
 * `leafHash`. node:crypto's one-shot hash is several times faster than the portable one, and
 * verification hashes every entry.
 */
export function entryLeaf(text: string): Buffer {
  return hash('sha256', `\0${text}`, 'buffer');
}

/** Checks a caller's entry and builds the stored form (throws ISOTYP_INVALID_INPUT). */
export function buildEntry(input: NewAuditEntry, seq: number, time: string): AuditEntry {
  const fields = { actor: input.actor, action: input.action, kind: input.entity?.kind, id: input.entity?.id };
  for (const [name, value] of Object.entries(fields)) {
    if (!isField(value)) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `An audit entry's ${name} must be a non-empty string.`, {
        hint: `Use 1–${MAX_FIELD} characters of well-formed Unicode.`,
        details: { field: name },
      });
    }
  }
  return {
    seq,
    time,
    actor: input.actor,
    action: input.action,
    entity: { kind: input.entity.kind, id: input.entity.id },
    detailsDigest: digest('audit-entry', input.details ?? {}),
  };
}

/** Parses stored entry text, returning why it is not a canonical entry instead of throwing. */
export function parseEntry(text: unknown): { entry: AuditEntry } | { reason: string } {
  if (typeof text !== 'string') return { reason: 'the entry is not text' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'the entry is not valid JSON' };
  }
  if (!isRecord(value) || !isRecord(value.entity)) return { reason: 'the entry is not an audit entry object' };
  const { seq, time, actor, action, entity, detailsDigest } = value;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return { reason: 'the entry has no valid seq' };
  if (typeof time !== 'string' || !UTC_TIME.test(time)) return { reason: 'the entry has no valid UTC time' };
  if (typeof detailsDigest !== 'string' || !DIGEST_PATTERN.test(detailsDigest)) {
    return { reason: 'the entry has no valid detailsDigest' };
  }
  if (!isField(actor) || !isField(action) || !isField(entity.kind) || !isField(entity.id)) {
    return { reason: 'the entry has a missing or malformed actor, action or entity' };
  }
  const entry = value as unknown as AuditEntry;
  // Extra keys, other key order, whitespace or escapes all make the text differ from this.
  if (formatEntry(entry) !== text) return { reason: 'the entry is not in canonical form' };
  return { entry };
}

/*
 * The canonical text of an entry whose strings need no code path but the common one, as one
 * regular expression: a string body is characters JSON.stringify leaves alone (no quote,
 * backslash, control character or surrogate) or the escapes it writes for a quote, a backslash
 * and the control characters. Surrogates (astral characters included) and long texts are left
 * to parseEntry, which settles them exactly.
 */
const PLAIN = String.raw`[^"\\\x00-\x1f\ud800-\udfff]*`;
const ESCAPE = String.raw`\\(?:["\\bfnrt]|u00(?:0[0-7bef]|1[0-9a-f]))`;
// Runs of plain characters between escapes ("unrolled", so it matches without backtracking);
// the lookahead keeps the body from being empty.
const BODY = `(?!")${PLAIN}(?:${ESCAPE}${PLAIN})*`;
const inner = (pattern: RegExp) => pattern.source.replace(/^\^/, '').replace(/\$$/, '');
const CANONICAL = new RegExp(
  `^\\{"action":"${BODY}","actor":"${BODY}","detailsDigest":"${inner(DIGEST_PATTERN)}",` +
    `"entity":\\{"id":"${BODY}","kind":"${BODY}"\\},"seq":(0|[1-9][0-9]{0,15}),"time":"${inner(UTC_TIME)}"\\}$`,
);
// Past this length a string body might decode to more than MAX_FIELD characters: this is
// MAX_FIELD plus the shortest entry with empty strings, and an escape only shortens a body.
const MAX_FAST_LENGTH =
  MAX_FIELD +
  formatEntry({
    seq: 0,
    time: '2026-01-01T00:00:00Z',
    actor: '',
    action: '',
    entity: { kind: '', id: '' },
    detailsDigest: `sha256:${'0'.repeat(64)}` as Digest<'audit-entry'>,
  }).length;

/**
 * The seq of `text` when it is a canonical entry that parseEntry accepts, checked without
 * parsing; undefined when it cannot tell quickly, and then parseEntry decides. The verify hot
 * path. `entry.test.ts` checks it never accepts what parseEntry rejects.
 */
export function canonicalSeq(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > MAX_FAST_LENGTH) return undefined;
  const match = CANONICAL.exec(text);
  if (match === null) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

function isField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD && !LONE_SURROGATE.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
