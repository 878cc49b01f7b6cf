import { fromBase64, toBase64 } from '../encoding.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { hasSmallOrder, PUBLIC_KEY_BYTES } from '../signature.js';
import { type NoteKey, noteKeyId } from './signed-note.js';

/*
 * C2SP verifier keys (c2sp.org/signed-note): `<name>+<key ID, 8 hex digits>+<base64(0x01 ‖ key)>`,
 * the one-line form in which a log's Ed25519 key is published and pinned — by the control plane
 * for its log, by each agent for its own.
 */

const ED25519 = 0x01;
const VKEY = /^([^\s+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/;

/** The vkey line of an Ed25519 note key. */
export function formatVkey(key: NoteKey): string {
  const id = noteKeyId(key.name, key.publicKey).toString(16).padStart(8, '0');
  const blob = new Uint8Array(1 + PUBLIC_KEY_BYTES);
  blob[0] = ED25519;
  blob.set(key.publicKey, 1);
  return `${key.name}+${id}+${toBase64(blob)}`;
}

/**
 * Parses a vkey line. Throws ISOTYP_KEY_INVALID unless it is an Ed25519 key whose key ID matches
 * its name and key, and the key is not of small order (which would verify forged signatures).
 *
 * @example
 * const key = parseVkey(body.vkey); // {name, publicKey}
 */
export function parseVkey(text: string): NoteKey {
  const match = VKEY.exec(text);
  if (match === null) throw invalid('it is not <name>+<8 hex digits>+<base64>');
  const [, name, id, encoded] = match as unknown as [string, string, string, string];
  let blob: Uint8Array;
  try {
    blob = fromBase64(encoded, 1 + PUBLIC_KEY_BYTES);
  } catch {
    throw invalid(`its key is not ${1 + PUBLIC_KEY_BYTES} bytes of standard base64`);
  }
  if (blob[0] !== ED25519) throw invalid('only Ed25519 keys (type 0x01) are supported');
  const publicKey = blob.slice(1);
  if (hasSmallOrder(publicKey)) throw invalid('the public key is a small-order point');
  if (noteKeyId(name, publicKey) !== Number.parseInt(id, 16))
    throw invalid('its key ID does not match its name and key');
  return { name, publicKey };
}

function invalid(why: string): IsotypError {
  return new IsotypError('ISOTYP_KEY_INVALID', `Invalid verifier key: ${why}.`, {
    hint: 'A verifier key is one line, <name>+<key id>+<base64 key>, as c2sp.org/signed-note defines it.',
  });
}
