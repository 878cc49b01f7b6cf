// @isotyp/protocol hot paths: canonical JSON (every digest and signature goes through it) and
// Ed25519. The protocol signs with tweetnacl because it must run in browsers too; this shows
// what that costs next to node:crypto's native Ed25519, which Node-only paths (the agent
// verifying approvals, the control plane ingesting envelopes) could use instead.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { approvalPayload, chinookModel, planLike } from './fixtures.mjs';
import { importBuilt, requireFrom, runTasks, speedup, TASK_TIME_MS } from './harness.mjs';

export const title = 'protocol: canonical JSON and Ed25519 signatures';

export default async function run() {
  const protocol = await importBuilt('protocol');
  // The same tweetnacl the protocol package resolves, called directly to show the protocol's
  // own overhead (strict-verification checks, argument validation).
  const nacl = requireFrom('protocol', 'tweetnacl');

  // --- canonical JSON -------------------------------------------------------------------------
  const plan = planLike();
  const model = chinookModel();
  const planBytes = protocol.canonicalBytes(plan).length;
  const modelBytes = protocol.canonicalBytes(model).length;
  const planKB = (planBytes / 1024).toFixed(1);
  const modelKB = (modelBytes / 1024).toFixed(1);

  const canonicalRows = await runTasks([
    { name: `JSON.stringify plan (${planKB} KB)`, bytes: planBytes, fn: () => JSON.stringify(plan) },
    { name: `canonicalize plan (${planKB} KB)`, bytes: planBytes, fn: () => protocol.canonicalize(plan) },
    { name: `canonicalBytes plan (${planKB} KB)`, bytes: planBytes, fn: () => protocol.canonicalBytes(plan) },
    { name: `digest('plan') plan (${planKB} KB)`, bytes: planBytes, fn: () => protocol.digest('plan', plan) },
    { name: `JSON.stringify Chinook (${modelKB} KB)`, bytes: modelBytes, fn: () => JSON.stringify(model) },
    { name: `canonicalize Chinook (${modelKB} KB)`, bytes: modelBytes, fn: () => protocol.canonicalize(model) },
    { name: `digest('schema') Chinook (${modelKB} KB)`, bytes: modelBytes, fn: () => protocol.digest('schema', model) },
  ]);

  // --- Ed25519 ------------------------------------------------------------------------------
  // One fixed seed for all three implementations, so they sign with the same key.
  const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff);
  const keys = protocol.keyPairFromSeed(seed);
  const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(keys.publicKey) };
  const nodePrivate = createPrivateKey({ key: jwk, format: 'jwk' });
  const nodePublic = createPublicKey(nodePrivate);

  // The message an approval signature covers: a sealed envelope's signing input.
  const message = protocol.signingInput(
    protocol.sealEnvelope({ type: 'isotyp.approval', payload: approvalPayload(), secretKey: keys.secretKey }),
  );
  const signature = protocol.sign(message, keys.secretKey);

  // Sanity check (not a timing assertion): Ed25519 is deterministic, so all three must produce
  // the same signature and accept each other's; otherwise the comparison would be meaningless.
  const nodeSignature = nodeSign(null, message, nodePrivate);
  if (!Buffer.from(signature).equals(Buffer.from(nodeSignature))) {
    throw new Error('node:crypto and tweetnacl signatures differ');
  }
  if (!nodeVerify(null, message, nodePublic, signature) || !protocol.verify(message, nodeSignature, keys.publicKey)) {
    throw new Error('a valid signature did not verify');
  }

  // tweetnacl allocates heavily, so its timings swing with garbage collection; twice the
  // default time per task keeps the ± column reasonable.
  const slow = { time: 2 * TASK_TIME_MS };
  const signRows = await runTasks(
    [
      { name: 'protocol sign (tweetnacl)', fn: () => protocol.sign(message, keys.secretKey) },
      { name: 'tweetnacl sign', fn: () => nacl.sign.detached(message, keys.secretKey) },
      { name: 'node:crypto sign', fn: () => nodeSign(null, message, nodePrivate) },
      { name: 'protocol verify (tweetnacl)', fn: () => protocol.verify(message, signature, keys.publicKey) },
      { name: 'tweetnacl verify', fn: () => nacl.sign.detached.verify(message, signature, keys.publicKey) },
      { name: 'node:crypto verify', fn: () => nodeVerify(null, message, nodePublic, signature) },
    ],
    slow,
  );

  // --- envelopes (canonical JSON + signature + schema check, end to end) ---------------------
  const trusted = new Map([[protocol.keyId(keys.publicKey), keys.publicKey]]);
  const wire = protocol.encodeEnvelope(
    protocol.sealEnvelope({ type: 'isotyp.approval', payload: approvalPayload(), secretKey: keys.secretKey }),
  );
  const envelopeRows = await runTasks(
    [
      {
        name: 'sealEnvelope approval',
        fn: () =>
          protocol.sealEnvelope({ type: 'isotyp.approval', payload: approvalPayload(), secretKey: keys.secretKey }),
      },
      {
        name: `openEnvelope approval (${wire.length} B)`,
        bytes: wire.length,
        fn: () => protocol.openEnvelope(wire, { type: 'isotyp.approval', keys: trusted, payload: protocol.anyPayload }),
      },
    ],
    slow,
  );

  const x = (a, b, rows) => speedup(rows, a, b).toFixed(1);
  return {
    groups: [
      { title: 'canonical JSON (RFC 8785)', rows: canonicalRows },
      { title: `Ed25519, ${message.length}-byte message (an approval envelope's signing input)`, rows: signRows },
      { title: 'signed envelopes (tweetnacl)', rows: envelopeRows },
    ],
    notes: [
      `canonicalize is ${x(`JSON.stringify plan (${planKB} KB)`, `canonicalize plan (${planKB} KB)`, canonicalRows)}x ` +
        'slower than JSON.stringify on the plan',
      `node:crypto sign is ${x('node:crypto sign', 'tweetnacl sign', signRows)}x tweetnacl`,
      `node:crypto verify is ${x('node:crypto verify', 'tweetnacl verify', signRows)}x tweetnacl`,
      `node:crypto verify is ${x('node:crypto verify', 'protocol verify (tweetnacl)', signRows)}x protocol verify`,
      `protocol verify / raw tweetnacl verify: ${speedup(signRows, 'protocol verify (tweetnacl)', 'tweetnacl verify').toFixed(2)} ` +
        '(the strict-verification checks; tweetnacl figures vary by 10-25% between runs)',
    ],
  };
}
