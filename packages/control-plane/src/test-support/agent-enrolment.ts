import { createHash, generateKeyPairSync } from 'node:crypto';
import { AGENT_IDENTITY_ENVELOPE_TYPE, encodePublicKey, generateKeyPair, keyId, sealEnvelope } from '@isotyp/protocol';
import forge from 'node-forge';

/** A fresh RSA key (PKCS#8 PEM) and a PKCS#10 request for it, as an agent makes them. */
export function certificateRequest(bits = 2048): { csrPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  csr.setSubject([{ name: 'commonName', value: 'isotyp-agent' }]);
  csr.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    forge.md.sha256.create(),
  );
  return {
    csrPem: forge.pki.certificationRequestToPem(csr),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * What isotyp agent enroll sends for `token`: a certificate request for a fresh TLS key and the
 * proof of a fresh Ed25519 identity, bound to the token.
 */
export function enrolmentRequest(token: string, bits = 2048) {
  const tls = certificateRequest(bits);
  const identity = generateKeyPair();
  const proof = sealEnvelope({
    type: AGENT_IDENTITY_ENVELOPE_TYPE,
    payload: {
      keyId: keyId(identity.publicKey),
      publicKey: encodePublicKey(identity.publicKey),
      enrolment: `sha256:${createHash('sha256').update(token).digest('hex')}`,
    },
    secretKey: identity.secretKey,
  });
  return {
    body: { token, csr: tls.csrPem, identity: proof },
    keyPem: tls.keyPem,
    identityKeyId: keyId(identity.publicKey),
  };
}
