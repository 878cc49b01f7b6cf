import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalize } from './canonical-json.js';
import { digest } from './digest.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import {
  anyPayload,
  type Envelope,
  encodeEnvelope,
  envelopeId,
  MAX_ENVELOPE_BYTES,
  openEnvelope,
  sealEnvelope,
  signingInput,
  verifyEnvelope,
} from './envelope.js';
import { generateKeyPair, keyId, sign } from './signature.js';
import { codeOf } from './test-support/code-of.js';

const approver = generateKeyPair();
const stranger = generateKeyPair();
const keys = new Map([[keyId(approver.publicKey), approver.publicKey]]);
const payload = {
  changeId: 'chg_01J9Z3',
  planDigest: digest('plan', { ops: ['ALTER TABLE "Album" ADD COLUMN "Year" INTEGER'] }),
  layer: 1,
  decision: 'approve',
  expiresAt: '2026-12-01T00:00:00.000Z',
};
const approvalPayload = z.strictObject({
  changeId: z.string(),
  planDigest: z.string(),
  layer: z.number().int(),
  decision: z.enum(['approve', 'reject']),
  expiresAt: z.string(),
});
const sealed = sealEnvelope({ type: 'isotyp.approval', payload, secretKey: approver.secretKey });
const wire = encodeEnvelope(sealed);
const open = (input: string | Uint8Array) =>
  openEnvelope(input, { type: 'isotyp.approval', keys, payload: approvalPayload });

describe('signed envelopes', () => {
  it('round-trips a sealed payload and reports its signer', () => {
    const opened = open(wire);
    expect(opened.payload).toEqual(payload);
    expect(opened.signer).toBe(keyId(approver.publicKey));
    expect(opened.id).toBe(envelopeId(sealed));
    expect(Object.keys(sealed).sort()).toEqual(['createdAt', 'nonce', 'payload', 'sig', 'signer', 'type', 'v']);
  });

  it('refuses another envelope type', () => {
    const other = encodeEnvelope(sealEnvelope({ type: 'isotyp.keyring', payload, secretKey: approver.secretKey }));
    expect(codeOf(() => open(other))).toBe('ISOTYP_ENVELOPE_TYPE_MISMATCH');
  });

  it('refuses an untrusted signer, and a resolver that hands back the wrong key', () => {
    const forged = encodeEnvelope(sealEnvelope({ type: 'isotyp.approval', payload, secretKey: stranger.secretKey }));
    expect(codeOf(() => open(forged))).toBe('ISOTYP_KEY_UNKNOWN');
    expect(
      codeOf(() =>
        openEnvelope(wire, { type: 'isotyp.approval', keys: () => stranger.publicKey, payload: approvalPayload }),
      ),
    ).toBe('ISOTYP_KEY_UNKNOWN');
  });

  it('refuses an altered payload or a signer swapped in after signing', () => {
    const altered = { ...sealed, payload: { ...payload, layer: 2 } };
    expect(codeOf(() => open(canonicalize(altered)))).toBe('ISOTYP_SIGNATURE_INVALID');
    const both = new Map([...keys, [keyId(stranger.publicKey), stranger.publicKey]]);
    const swapped = { ...sealed, signer: keyId(stranger.publicKey) };
    expect(
      codeOf(() => openEnvelope(canonicalize(swapped), { type: 'isotyp.approval', keys: both, payload: anyPayload })),
    ).toBe('ISOTYP_SIGNATURE_INVALID');
  });

  it('refuses truncated and non-canonical encodings', () => {
    expect(codeOf(() => open(wire.slice(0, -1)))).toBe('ISOTYP_MALFORMED_JSON');
    expect(codeOf(() => open(JSON.stringify(sealed, null, 2)))).toBe('ISOTYP_NOT_CANONICAL');
    expect(codeOf(() => open(` ${wire}`))).toBe('ISOTYP_NOT_CANONICAL');
  });

  it('refuses a malleated signature (S + L)', () => {
    const sig = fromBase64Url(sealed.sig);
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i] as number);
    s += 2n ** 252n + 27742317777372353535851937790883648493n;
    for (let i = 32; i < 64; i++) sig[i] = Number((s >> BigInt(8 * (i - 32))) & 0xffn);
    expect(codeOf(() => open(canonicalize({ ...sealed, sig: toBase64Url(sig) })))).toBe('ISOTYP_SIGNATURE_INVALID');
  });

  it('refuses a payload that does not match its schema, an unknown version, and oversized input', () => {
    const bad = encodeEnvelope(
      sealEnvelope({
        type: 'isotyp.approval',
        payload: { ...payload, decision: 'maybe' },
        secretKey: approver.secretKey,
      }),
    );
    expect(codeOf(() => open(bad))).toBe('ISOTYP_INVALID_INPUT');
    expect(
      codeOf(() => verifyEnvelope({ ...sealed, v: 2 }, { type: 'isotyp.approval', keys, payload: anyPayload })),
    ).toBe('ISOTYP_UNSUPPORTED_VERSION');
    expect(codeOf(() => open('x'.repeat(MAX_ENVELOPE_BYTES + 1)))).toBe('ISOTYP_PAYLOAD_TOO_LARGE');
    expect(codeOf(() => open(canonicalize({ ...sealed, extra: 1 })))).toBe('ISOTYP_INVALID_INPUT');
  });

  it('refuses a correctly signed envelope whose createdAt is not a real time', () => {
    for (const createdAt of ['2026-13-01T00:00:00.000Z', '2026-02-30T12:00:00Z', '2026-01-01T24:00:00Z']) {
      const unsigned = { ...sealed, createdAt };
      const sig = toBase64Url(sign(signingInput(unsigned), approver.secretKey));
      expect(
        codeOf(() => verifyEnvelope({ ...unsigned, sig }, { type: 'isotyp.approval', keys, payload: approvalPayload })),
      ).toBe('ISOTYP_INVALID_INPUT');
    }
  });

  it('derives the id from the signed content, never from signature bytes', () => {
    const { sig: _sig, ...unsigned } = sealed;
    const other: Envelope = { ...sealed, sig: 'A'.repeat(86) };
    expect(envelopeId(sealed)).toBe(envelopeId(other));
    expect(envelopeId(sealed)).toBe(envelopeId(unsigned));
    const resealed = sealEnvelope({ type: 'isotyp.approval', payload, secretKey: approver.secretKey });
    expect(envelopeId(resealed)).not.toBe(envelopeId(sealed)); // fresh nonce and time
  });

  it('rejects 1,000 random single-byte tamperings of the wire bytes', () => {
    const bytes = new TextEncoder().encode(wire);
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const tampered = bytes.slice();
        tampered[index] = ((bytes[index] as number) + delta) & 0xff;
        const code = codeOf(() => open(tampered));
        expect(code, `byte ${index} changed by ${delta}`).toMatch(/^ISOTYP_/);
        rejected++;
      }),
      { numRuns: 1000 },
    );
    expect(rejected).toBe(1000);
  });
});
