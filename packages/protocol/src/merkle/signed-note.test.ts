import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../encoding.js';
import { generateKeyPair } from '../signature.js';
import { codeOf } from '../test-support/code-of.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint-note.js';
import { noteKeyId, openNote, signNote } from './signed-note.js';

// The example of Go's golang.org/x/mod/sumdb/note: verifier key "PeterNeumann+c74f20a3+<0x01‖key>".
const PETER = {
  name: 'PeterNeumann',
  publicKey: fromBase64('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').subarray(1),
};
const PETER_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE = `${PETER_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe('signed notes (c2sp.org/signed-note)', () => {
  it('interoperates with Go’s note package: key ID and signature of its published example', () => {
    expect(noteKeyId(PETER.name, PETER.publicKey).toString(16)).toBe('c74f20a3');
    expect(openNote(PETER_NOTE, [PETER])).toEqual({ text: PETER_TEXT, verifiedBy: ['PeterNeumann'] });
  });

  it('refuses an altered text, ignores unknown keys, and needs one trusted signature', () => {
    expect(codeOf(() => openNote(PETER_NOTE.replace('problem,', 'problem;'), [PETER]))).toBe(
      'ISOTYP_SIGNATURE_INVALID',
    );
    const stranger = generateKeyPair();
    const other = { name: 'isotyp.example/other', publicKey: stranger.publicKey };
    expect(codeOf(() => openNote(PETER_NOTE, [other]))).toBe('ISOTYP_KEY_UNKNOWN');
    // Same name, another key: its ID differs, so the signature is ignored, not accepted.
    expect(codeOf(() => openNote(PETER_NOTE, [{ name: 'PeterNeumann', publicKey: stranger.publicKey }]))).toBe(
      'ISOTYP_KEY_UNKNOWN',
    );
    const cosigned = `${PETER_NOTE}${signNote(PETER_TEXT, { name: other.name, secretKey: stranger.secretKey }).split('\n\n')[1]}`;
    expect(openNote(cosigned, [PETER, other]).verifiedBy).toEqual(['PeterNeumann', 'isotyp.example/other']);
  });

  it('refuses malformed notes with ISOTYP_INVALID_INPUT', () => {
    for (const bad of [
      PETER_TEXT,
      PETER_NOTE.replace('— ', '- '),
      PETER_NOTE.replace('JnAM=', 'JnAM'),
      `a\u0007b\n\n${PETER_NOTE.split('\n\n')[1]}`,
      `${PETER_NOTE.slice(0, -1)}`,
    ]) {
      expect(
        codeOf(() => openNote(bad, [PETER])),
        JSON.stringify(bad.slice(-20)),
      ).toBe('ISOTYP_INVALID_INPUT');
    }
    expect(codeOf(() => signNote('no newline', { name: 'x', secretKey: generateKeyPair().secretKey }))).toBe(
      'ISOTYP_INVALID_INPUT',
    );
    expect(codeOf(() => noteKeyId('has space', PETER.publicKey))).toBe('ISOTYP_INVALID_INPUT');
  });

  it('refuses non-canonical base64 and more than 16 signatures; accepts 16, ignoring unknown signers', () => {
    // "JnAM=" ends in bits the encoding leaves zero; "JnAN=" decodes to the same bytes, non-canonically.
    expect(codeOf(() => openNote(PETER_NOTE.replace('JnAM=', 'JnAN='), [PETER]))).toBe('ISOTYP_INVALID_INPUT');
    const strangers = Array.from(
      { length: 16 },
      (_, i) =>
        signNote(PETER_TEXT, { name: `stranger-${i}`, secretKey: generateKeyPair().secretKey }).split('\n\n')[1],
    );
    const sixteen = `${PETER_NOTE}${strangers.slice(0, 15).join('')}`;
    expect(openNote(sixteen, [PETER]).text).toBe(PETER_TEXT);
    expect(codeOf(() => openNote(`${sixteen}${strangers[15]}`, [PETER]))).toBe('ISOTYP_INVALID_INPUT');
  });

  it('refuses a signature filed under another key id than the signer’s', () => {
    const otherId = PETER_NOTE.replace(/— PeterNeumann (\S+)/, (_, blob: string) => {
      const bytes = Buffer.from(blob, 'base64');
      bytes[0] = (bytes[0] as number) ^ 1;
      return `— PeterNeumann ${bytes.toString('base64')}`;
    });
    // Filed under an id no trusted key has, it is an unknown signer's: no trusted signature is left.
    expect(codeOf(() => openNote(otherId, [PETER]))).toBe('ISOTYP_KEY_UNKNOWN');
  });
});

describe('tlog checkpoints (c2sp.org/tlog-checkpoint)', () => {
  const root = toBase64(new Uint8Array(32).fill(7));
  const keys = generateKeyPair();
  const log = { name: 'isotyp.example/agent/ag_1', publicKey: keys.publicKey };

  it('formats, signs and opens a checkpoint, checking its origin', () => {
    const checkpoint = { origin: log.name, size: 1_000_000, root };
    expect(formatCheckpoint(checkpoint)).toBe(`${log.name}\n1000000\n${root}\n`);
    const note = signCheckpoint(checkpoint, { name: log.name, secretKey: keys.secretKey });
    expect(openCheckpoint(note, [log], log.name)).toEqual(checkpoint);
    expect(codeOf(() => openCheckpoint(note, [log], 'isotyp.example/agent/ag_2'))).toBe('ISOTYP_INVALID_INPUT');
    const forged = note.replace('\n1000000\n', '\n999999\n');
    expect(codeOf(() => openCheckpoint(forged, [log], log.name))).toBe('ISOTYP_SIGNATURE_INVALID');
  });

  it('keeps extension lines and refuses malformed bodies', () => {
    expect(parseCheckpoint(`o\n5\n${root}\nextra line\n`)).toEqual({
      origin: 'o',
      size: 5,
      root,
      extensions: ['extra line'],
    });
    for (const bad of [
      `o\n05\n${root}\n`,
      `o\n-1\n${root}\n`,
      `o\n5\n${root.slice(4)}\n`,
      `o\n5\n${root}`,
      `\n5\n${root}\n`,
    ]) {
      expect(
        codeOf(() => parseCheckpoint(bad)),
        bad,
      ).toBe('ISOTYP_INVALID_INPUT');
    }
  });
});
