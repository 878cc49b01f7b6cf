import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';
import forge from 'node-forge';
import type { CertificateAuthorityRecord, Store } from '../storage/store.js';

/** How long the CA itself is valid; rotation (a new CA beside the old one) comes well before. */
const CA_YEARS = 10;
/** Certificates start this much in the past, for agents whose clocks run a little behind. */
const BACKDATE_MS = 5 * 60 * 1000;
const MIN_RSA_BITS = 2048;
const MAX_CSR_CHARS = 16 * 1024;
const CA_ID = 'ca_1';

export interface IssuedCertificate {
  pem: string;
  /** Hex, as in the certificate. */
  serial: string;
  notAfter: Date;
}

/**
 * The deployment's certificate authority for agents, built with node-forge. Its key is stored
 * only encrypted (PKCS#8, AES-256, under the server's CA passphrase) and decrypted in memory
 * when the control plane starts. It issues client certificates bound to one agent of one
 * organisation (`urn:isotyp:agent:<org>:<agent>` as the URI name) and server certificates for
 * the control plane's own host names; verification is Node's TLS, never done by hand here.
 *
 * @example
 * const ca = await CertificateAuthority.open(store, passphrase, new Date());
 * const cert = ca.issueAgentCertificate(checkCertificateRequest(csrPem), { orgId, agentId, hours: 24, now: new Date() });
 */
export class CertificateAuthority {
  readonly certificatePem: string;
  /** SHA-256 of the CA certificate's DER, hex with colons, as `openssl x509 -fingerprint` prints it. */
  readonly fingerprint: string;
  readonly id: string;
  readonly #certificate: forge.pki.Certificate;
  readonly #key: forge.pki.rsa.PrivateKey;

  private constructor(record: CertificateAuthorityRecord, passphrase: string) {
    this.id = record.id;
    this.#key = decryptCaKey(record.encryptedKeyPem, passphrase);
    this.#certificate = forge.pki.certificateFromPem(record.certificatePem);
    this.certificatePem = record.certificatePem;
    this.fingerprint = new X509Certificate(record.certificatePem).fingerprint256;
  }

  /** Checks that `passphrase` decrypts a stored CA key; ISOTYP_CONFIG_INVALID when it does not. */
  static checkKey(encryptedKeyPem: string, passphrase: string): void {
    decryptCaKey(encryptedKeyPem, passphrase);
  }

  /** A stored CA key, encrypted under `to` instead of `from` (a new passphrase). */
  static reencryptKey(encryptedKeyPem: string, from: string, to: string): string {
    return encryptCaKey(decryptCaKey(encryptedKeyPem, from), to);
  }

  /** The CA of a stored record, its key decrypted with `passphrase`. */
  static fromRecord(record: CertificateAuthorityRecord, passphrase: string): CertificateAuthority {
    return new CertificateAuthority(record, passphrase);
  }

  /**
   * Makes a new CA the one that issues, and retires the current one: it stops issuing, but stays
   * trusted — and keeps signing the server's certificate — for the overlap (see `trustState`).
   */
  static async rotate(store: Store, passphrase: string, now: Date): Promise<CertificateAuthority> {
    const current = await CertificateAuthority.open(store, passphrase, now);
    const next = { ...newCa(passphrase, now), id: `ca_${randomBytes(9).toString('base64url')}` };
    await store.authorities.create(next);
    await store.authorities.retire(current.id, now.toISOString());
    return new CertificateAuthority(next, passphrase);
  }

  /** The active CA, made (once, whichever replica is first) when there is none yet. */
  static async open(store: Store, passphrase: string, now: Date): Promise<CertificateAuthority> {
    if (passphrase.length < 16) {
      throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The CA passphrase is too short (at least 16 characters).', {
        hint: 'Set ISOTYP_CA_PASSPHRASE, e.g. from head -c 32 /dev/urandom | base64.',
      });
    }
    let record = await store.authorities.active();
    if (record === undefined) {
      await store.authorities.create(newCa(passphrase, now));
      record = await store.authorities.active();
    }
    if (record === undefined) throw new IsotypError('ISOTYP_INTERNAL', 'The CA could not be stored.');
    return new CertificateAuthority(record, passphrase);
  }

  /**
   * A client certificate for an agent, for the public key of its certificate request (see
   * checkCertificateRequest), valid `hours` from `now`.
   */
  issueAgentCertificate(
    request: CheckedRequest,
    options: { orgId: string; agentId: string; hours: number; now: Date },
  ): IssuedCertificate {
    return this.#issue(request.publicKey, {
      subject: [
        { name: 'commonName', value: options.agentId },
        { name: 'organizationName', value: options.orgId },
      ],
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 6, value: agentUri(options.orgId, options.agentId) }] },
      ],
      hours: options.hours,
      now: options.now,
    });
  }

  /** A server certificate (and its new key) for the control plane's host names and addresses. */
  /**
   * The control plane's own certificate for `hosts`, with an ECDSA P-256 key (signed by this
   * RSA CA): the server signs once in every TLS handshake, and a P-256 signature costs a small
   * fraction of an RSA-2048 one, which is what a fleet of agents reconnecting at once is made of.
   */
  issueServerCertificate(hosts: readonly string[], options: { hours: number; now: Date }) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const altNames = hosts.map((host) =>
      /^[\d.]+$/.test(host) || host.includes(':') ? { type: 7, ip: host } : { type: 2, value: host },
    );
    const certificate = this.#issue(spki, {
      subject: [{ name: 'commonName', value: hosts[0] ?? 'isotyp-control-plane' }],
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        // An ECDSA key signs; it never enciphers a key (RFC 8813).
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
      hours: options.hours,
      now: options.now,
    });
    return { ...certificate, keyPem };
  }

  /**
   * Issues a certificate for `publicKey`: a node-forge RSA key, or any key as its DER
   * SubjectPublicKeyInfo (node-forge builds only RSA keys into a certificate: it is built around
   * the CA's own public key, then that key's place in the signed part takes the given one).
   */
  #issue(
    publicKey: forge.pki.PublicKey | Buffer,
    spec: { subject: forge.pki.CertificateField[]; extensions: object[]; hours: number; now: Date },
  ): IssuedCertificate {
    const foreign = Buffer.isBuffer(publicKey);
    const cert = forge.pki.createCertificate();
    cert.publicKey = foreign ? this.#certificate.publicKey : publicKey;
    cert.serialNumber = serialNumber();
    cert.validity.notBefore = new Date(spec.now.getTime() - BACKDATE_MS);
    cert.validity.notAfter = new Date(spec.now.getTime() + spec.hours * 3600 * 1000);
    cert.setSubject(spec.subject);
    cert.setIssuer(this.#certificate.subject.attributes);
    cert.setExtensions([
      ...spec.extensions,
      foreign ? subjectKeyIdentifier(publicKey) : { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.#certificate.generateSubjectKeyIdentifier().getBytes() },
    ]);
    const meta = { serial: cert.serialNumber, notAfter: cert.validity.notAfter };
    if (!foreign) {
      cert.sign(this.#key, forge.md.sha256.create());
      return { pem: forge.pki.certificateToPem(cert), ...meta };
    }
    // What cert.sign() records before node-forge can write the signed part.
    const algorithm = forge.pki.oids.sha256WithRSAEncryption as string;
    cert.signatureOid = algorithm;
    cert.siginfo.algorithmOid = algorithm;
    // Typed in node-forge's runtime, not in @types/node-forge.
    const tbs = (
      forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
    ).getTBSCertificate(cert);
    // TBSCertificate: version [0], serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, …
    (tbs.value as forge.asn1.Asn1[])[6] = forge.asn1.fromDer(forge.util.createBuffer(publicKey.toString('binary')));
    const tbsDer = forge.asn1.toDer(tbs).getBytes();
    const digest = forge.md.sha256.create();
    digest.update(tbsDer);
    const { asn1 } = forge;
    const signed = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      tbs,
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(algorithm).getBytes()),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
      ]),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${this.#key.sign(digest)}`),
    ]);
    const der = Buffer.from(asn1.toDer(signed).getBytes(), 'binary');
    // The certificate as any TLS peer will read it: parsed, and checked against this CA's key.
    const issued = new X509Certificate(der);
    if (!issued.verify(new X509Certificate(this.certificatePem).publicKey)) {
      throw new IsotypError('ISOTYP_INTERNAL', 'An issued certificate does not verify against its CA.');
    }
    return { pem: issued.toString(), ...meta };
  }
}

/**
 * The subjectKeyIdentifier extension of a key given as DER SubjectPublicKeyInfo: the SHA-1 of its
 * subjectPublicKey bits (RFC 5280, 4.2.1.2, method 1), as node-forge computes it for RSA keys.
 */
function subjectKeyIdentifier(spki: Buffer): object {
  const info = forge.asn1.fromDer(forge.util.createBuffer(spki.toString('binary')));
  // SubjectPublicKeyInfo: algorithm, subjectPublicKey (a BIT STRING: its unused-bits byte, then the key).
  const key = (info.value as forge.asn1.Asn1[])[1] as forge.asn1.Asn1;
  const bits = (key.value as string).slice(1);
  const digest = forge.md.sha1.create();
  digest.update(bits);
  const { asn1 } = forge;
  return {
    id: forge.pki.oids.subjectKeyIdentifier,
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, digest.digest().getBytes()),
  };
}

/** The URI name an agent's certificate carries: what mTLS routes read the agent's identity from. */
export function agentUri(orgId: string, agentId: string): string {
  return `urn:isotyp:agent:${orgId}:${agentId}`;
}

function decryptCaKey(encryptedKeyPem: string, passphrase: string): forge.pki.rsa.PrivateKey {
  let key: forge.pki.rsa.PrivateKey | null;
  try {
    key = forge.pki.decryptRsaPrivateKey(encryptedKeyPem, passphrase);
  } catch {
    // A wrong passphrase gives null, or now and then (1 in 300 in a trial) garbage that fails to parse.
    key = null;
  }
  if (key === null) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The CA passphrase does not decrypt the stored CA key.', {
      hint: 'Start the control plane with the ISOTYP_CA_PASSPHRASE it was first started with.',
    });
  }
  return key;
}

function encryptCaKey(key: forge.pki.rsa.PrivateKey, passphrase: string): string {
  return forge.pki.encryptRsaPrivateKey(key, passphrase, { algorithm: 'aes256' });
}

function newCa(passphrase: string, now: Date): CertificateAuthorityRecord {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime());
  cert.validity.notAfter.setUTCFullYear(now.getUTCFullYear() + CA_YEARS);
  const subject = [
    { name: 'commonName', value: 'Isotyp agent CA' },
    { name: 'organizationName', value: 'Isotyp' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return {
    id: CA_ID,
    certificatePem: forge.pki.certificateToPem(cert),
    encryptedKeyPem: encryptCaKey(key, passphrase),
    createdAt: now.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
  };
}

/** A certificate request whose signature and key were checked. */
export interface CheckedRequest {
  readonly publicKey: forge.pki.PublicKey;
}

/**
 * Checks a PEM PKCS#10 request: well formed, signed by its own key, RSA of at least 2048 bits.
 * Done before an enrolment token is spent, so a bad request does not burn it.
 */
export function checkCertificateRequest(csrPem: string): CheckedRequest {
  return { publicKey: requestKey(csrPem) };
}

function requestKey(csrPem: string): forge.pki.PublicKey {
  let csr: ReturnType<typeof forge.pki.certificationRequestFromPem>;
  try {
    if (csrPem.length > MAX_CSR_CHARS) throw new Error('too long');
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch {
    throw badRequest('The certificate request is not a PEM PKCS#10 request with an RSA key.');
  }
  let signed = false;
  try {
    signed = csr.verify();
  } catch {
    // A signature forge cannot even parse is as bad as a wrong one.
  }
  if (!signed) throw badRequest('The certificate request is not signed by its own key.');
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (key === null || key.n.bitLength() < MIN_RSA_BITS) {
    throw badRequest(`The certificate request's key must be RSA of at least ${MIN_RSA_BITS} bits.`);
  }
  return key;
}

function badRequest(message: string): IsotypError {
  return new IsotypError('ISOTYP_INVALID_INPUT', message, {
    hint: 'isotyp agent enroll makes a valid request; send what it sends.',
  });
}

/** 16 random bytes, positive (high bit clear), as hex: unique and unguessable serials. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

/**
 * Which CAs count right now, after any rotation: `issuing` signs new agent certificates (the
 * newest); `serving` signs the server's own certificate — the retired CA while its overlap lasts,
 * so agents that have not renewed yet (and pin only it) still connect, then the issuing one;
 * `bundle` is every CA an agent certificate may chain to (the issuing one and any retired within
 * its overlap): what the server trusts, and what agents pin when they renew.
 */
export async function trustState(store: Store, passphrase: string, now: Date, overlapSeconds: number) {
  const issuing = await CertificateAuthority.open(store, passphrase, now);
  const all = await store.authorities.list();
  const overlapping = all.filter(
    (ca) =>
      ca.retiredAt !== undefined &&
      Date.parse(ca.retiredAt) + overlapSeconds * 1000 > now.getTime() &&
      Date.parse(ca.notAfter) > now.getTime(),
  );
  // The most recently retired one is the CA agents pinned before the last rotation.
  const previous = overlapping[0];
  const serving = previous === undefined ? issuing : CertificateAuthority.fromRecord(previous, passphrase);
  const overlapUntil =
    previous?.retiredAt === undefined ? undefined : new Date(Date.parse(previous.retiredAt) + overlapSeconds * 1000);
  return {
    issuing,
    serving,
    bundle: [issuing.certificatePem, ...overlapping.map((ca) => ca.certificatePem)],
    overlapUntil,
  };
}
