import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { generateKeyPair, keyId, sealAgentIdentity } from '@isotyp/protocol';
import forge from 'node-forge';
import { Agent, fetch } from 'undici';

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
  const proof = sealAgentIdentity(token, identity);
  return {
    body: { token, csr: tls.csrPem, identity: proof },
    keyPem: tls.keyPem,
    identityKeyId: keyId(identity.publicKey),
  };
}

export interface TlsCallOptions {
  method?: string;
  token?: string;
  body?: unknown;
  /** The client certificate and key to present (an agent's). */
  cert?: { cert: string; key: string };
}

/**
 * One HTTPS call to `url` trusting only `trust` (PEM, one CA or a bundle), with a client
 * certificate when given; writes carry an Idempotency-Key. A failed handshake rejects.
 */
export async function tlsCall(url: string, trust: string, options: TlsCallOptions = {}) {
  const dispatcher = new Agent({ connect: { ca: trust, ...(options.cert ?? {}) } });
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      dispatcher,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(options.method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as any };
  } finally {
    await dispatcher.close();
  }
}
