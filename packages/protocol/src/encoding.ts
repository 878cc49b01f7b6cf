import { IsotypError } from './errors/isotyp-error.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** RFC 4648 §5 base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET.charAt(n >>> 18) +
      ALPHABET.charAt((n >>> 12) & 63) +
      ALPHABET.charAt((n >>> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63);
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63) + ALPHABET.charAt((n >>> 6) & 63);
  }
  return out;
}

/**
 * Strict base64url decoding: no padding, no whitespace, no characters outside the alphabet,
 * and no non-zero bits after the last byte. Every byte string therefore has exactly one
 * accepted encoding, so a signature or key cannot be re-encoded into a second valid form.
 */
export function fromBase64Url(text: string, expectedLength?: number): Uint8Array {
  if (text.length % 4 === 1) invalid('its length is impossible for base64url');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (LOOKUP[c] as number) : -1;
    if (v < 0) invalid(`character ${i} is not in the base64url alphabet`);
    buffer = ((buffer << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) invalid('its final character has non-zero padding bits');
  if (expectedLength !== undefined && out.length !== expectedLength) {
    invalid(`it decodes to ${out.length} bytes, expected ${expectedLength}`);
  }
  return out;
}

function invalid(why: string): never {
  throw new IsotypError('ISOTYP_INVALID_INPUT', `Invalid base64url: ${why}.`, {
    hint: 'Encode binary fields as unpadded base64url (RFC 4648 §5).',
  });
}

/** Lower-case hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Strict lower-case hexadecimal decoding. */
export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'Invalid hex: expected an even number of lower-case hex digits.');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Constant-time comparison of two byte strings (length is not secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Standard base64 (RFC 4648 §4) with padding, as signed notes and checkpoints write it. */
export function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replaceAll('-', '+').replaceAll('_', '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}

/** Strict standard base64: padding exactly as the length requires, no stray bits or characters. */
export function fromBase64(text: string, expectedLength?: number): Uint8Array {
  const body = text.replace(/={0,2}$/, '');
  if (/[-_]/.test(body) || text.length % 4 !== 0 || body.length + ((4 - (body.length % 4)) % 4) !== text.length) {
    invalidStandard();
  }
  return fromBase64Url(body.replaceAll('+', '-').replaceAll('/', '_'), expectedLength);
}

function invalidStandard(): never {
  throw new IsotypError('ISOTYP_INVALID_INPUT', 'Invalid base64: expected RFC 4648 standard base64 with padding.');
}
