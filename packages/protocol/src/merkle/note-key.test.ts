import { describe, expect, it } from 'vitest';
import { generateKeyPair, noteKeyId, openCheckpoint, signCheckpoint, toBase64 } from '../index.js';
import { formatVkey, parseVkey } from './note-key.js';

const name = 'isotyp.agent/ag_1';
/** A key whose ID has a hex letter, so that upper-casing the ID changes it (1 key in 40 has none). */
const key = (() => {
  for (;;) {
    const candidate = generateKeyPair();
    if (/[a-f]/.test(noteKeyId(name, candidate.publicKey).toString(16))) return candidate;
  }
})();

/** The three fields of a vkey; the base64 key may itself contain `+`. */
const fields = (vkey: string) => /^([^+]+)\+([^+]+)\+(.+)$/.exec(vkey)?.slice(1) as [string, string, string];

describe('verifier keys (C2SP vkey)', () => {
  it('formats name+keyid+base64(0x01 ‖ key) and parses it back to a key that opens checkpoints', () => {
    const vkey = formatVkey({ name, publicKey: key.publicKey });
    const [n, id, blob] = fields(vkey);
    expect(n).toBe(name);
    expect(id).toBe(noteKeyId(name, key.publicKey).toString(16).padStart(8, '0'));
    expect(blob).toBe(toBase64(Uint8Array.of(1, ...key.publicKey)));
    const parsed = parseVkey(vkey);
    expect(parsed).toEqual({ name, publicKey: key.publicKey });
    const note = signCheckpoint({ origin: name, size: 1, root: toBase64(new Uint8Array(32)) }, { name, ...key });
    expect(openCheckpoint(note, [parsed], name).size).toBe(1);
  });

  it('matches the example vkey of the signed-note spec', () => {
    // c2sp.org/signed-note: the key ID is derived from the name and key, not chosen.
    const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
    expect(parseVkey(vkey).name).toBe('PeterNeumann');
    expect(formatVkey(parseVkey(vkey))).toBe(vkey);
  });

  it('refuses a wrong key ID, another algorithm, bad base64, a small-order key and a bad name', () => {
    const vkey = formatVkey({ name, publicKey: key.publicKey });
    const [, id, blob] = fields(vkey);
    const otherId = ((Number.parseInt(id, 16) ^ 1) >>> 0).toString(16).padStart(8, '0');
    const cases = [
      `${name}+${otherId}+${blob}`,
      `${name}+${id}+${toBase64(Uint8Array.of(2, ...key.publicKey))}`,
      `${name}+${id}+${blob.slice(0, -1)}`,
      `${name}+${id}+${toBase64(Uint8Array.of(1, 1, ...new Uint8Array(31)))}`,
      `bad name+${id}+${blob}`,
      `${name}+${id.toUpperCase()}+${blob}`,
      `${name}+${id}`,
    ];
    for (const text of cases)
      expect(() => parseVkey(text), text).toThrow(expect.objectContaining({ code: 'ISOTYP_KEY_INVALID' }));
  });
});
