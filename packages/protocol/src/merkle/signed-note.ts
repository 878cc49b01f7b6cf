import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64, toBase64 } from '../encoding.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { PUBLIC_KEY_BYTES, sign, verify } from '../signature.js';

/*
 * C2SP signed notes (c2sp.org/signed-note), the envelope of tlog checkpoints: a text ending in
 * a newline, a blank line, then one line per signature, `— <key name> base64(key ID ‖ sig)`.
 * Only Ed25519 (signature type 0x01) is supported.
 */

/** Notes larger than this are refused before parsing. */
export const MAX_NOTE_BYTES = 64 * 1024;
/**
 * Signatures a note may carry: c2sp.org/signed-note requires verifiers to accept at least 16,
 * and a note with more is refused rather than parsed (an attacker's note full of signature
 * lines costs a verifier nothing but time).
 */
export const MAX_NOTE_SIGNATURES = 16;

const encoder = new TextEncoder();
const NAME = /^[^\s+]+$/u;

export interface NoteKey {
  /** Key name, e.g. `isotyp.example/agent/ag_123`: non-empty, no spaces, no `+`. */
  name: string;
  publicKey: Uint8Array;
}

/** key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], as a big-endian uint32. */
export function noteKeyId(name: string, publicKey: Uint8Array): number {
  assertName(name);
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw invalid('an Ed25519 public key is 32 bytes');
  const hash = sha256
    .create()
    .update(encoder.encode(`${name}\n`))
    .update(Uint8Array.of(0x01))
    .update(publicKey)
    .digest();
  return (
    (((hash[0] as number) << 24) | ((hash[1] as number) << 16) | ((hash[2] as number) << 8) | (hash[3] as number)) >>> 0
  );
}

/**
 * Signs a note text (which must end in a newline) and returns the whole signed note.
 *
 * @example
 * const note = signNote('isotyp.example/log\n42\n…\n', { name: 'isotyp.example/log', secretKey });
 */
export function signNote(text: string, key: { name: string; secretKey: Uint8Array }): string {
  assertText(text);
  const publicKey = key.secretKey.subarray(32);
  const id = noteKeyId(key.name, publicKey);
  const sig = sign(encoder.encode(text), key.secretKey);
  const blob = new Uint8Array(4 + sig.length);
  new DataView(blob.buffer).setUint32(0, id);
  blob.set(sig, 4);
  return `${text}\n\u2014 ${key.name} ${toBase64(blob)}\n`;
}

export interface OpenedNote {
  text: string;
  /** Names of the trusted keys whose signatures verified. */
  verifiedBy: string[];
}

/**
 * Parses and verifies a signed note against trusted keys. Signatures from unknown keys are
 * ignored; a signature from a known key that fails rejects the note (ISOTYP_SIGNATURE_INVALID);
 * a note no known key signed is rejected (ISOTYP_KEY_UNKNOWN). Malformed notes are
 * ISOTYP_INVALID_INPUT.
 */
export function openNote(note: string, trusted: readonly NoteKey[]): OpenedNote {
  if (encoder.encode(note).length > MAX_NOTE_BYTES) {
    throw new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', `A signed note may be at most ${MAX_NOTE_BYTES} bytes.`);
  }
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw invalid('a note is its text, a blank line and signature lines');
  const text = note.slice(0, split + 1);
  assertText(text);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw invalid(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  const keys = trusted.map((k) => ({ ...k, id: noteKeyId(k.name, k.publicKey) }));
  const verifiedBy: string[] = [];
  const message = encoder.encode(text);
  for (const line of lines) {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (match === null) throw invalid('a signature line is "— <name> <base64>"');
    const [, name, encoded] = match as unknown as [string, string, string];
    let blob: Uint8Array;
    try {
      blob = fromBase64(encoded);
    } catch {
      throw invalid('a signature is not standard base64');
    }
    if (blob.length < 5) throw invalid('a signature is shorter than its key ID');
    const id = new DataView(blob.buffer, blob.byteOffset).getUint32(0);
    const key = keys.find((k) => k.name === name && k.id === id);
    if (key === undefined) continue; // unknown keys are ignored, as the spec requires
    if (!verify(message, blob.subarray(4), key.publicKey)) {
      throw new IsotypError('ISOTYP_SIGNATURE_INVALID', `The signature of ${name} on the note does not verify.`, {
        hint: 'The note was altered after signing, or the key is not the one configured for this name.',
      });
    }
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) {
    throw new IsotypError('ISOTYP_KEY_UNKNOWN', 'No trusted key signed this note.', {
      hint: 'Configure the public key of the log that signs these notes.',
    });
  }
  return { text, verifiedBy };
}

function assertText(text: string): void {
  if (!text.endsWith('\n') || text === '\n') throw invalid('the text must be non-empty and end with a newline');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the spec forbids exactly these.
  if (/[\u0000-\u0009\u000b-\u001f]/u.test(text))
    throw invalid('control characters other than newline are not allowed');
}

function assertName(name: string): void {
  if (!NAME.test(name)) throw invalid(`"${name}" is not a key name (non-empty, no spaces, no +)`);
}

function invalid(why: string): IsotypError {
  return new IsotypError('ISOTYP_INVALID_INPUT', `Invalid signed note: ${why}.`, {
    hint: 'Signed notes follow c2sp.org/signed-note.',
  });
}
