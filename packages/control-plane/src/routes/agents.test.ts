import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import forge from 'node-forge';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../agents/certificate-authority.js';
import { enrolmentRequest } from '../test-support/agent-enrolment.js';
import { CA_PASSPHRASE, type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

const enrolment = enrolmentRequest;

describe('agent enrolment', () => {
  let cp: LiveControlPlane;
  let admin: string;
  const tokenFor = async (name: string, expiresInMinutes?: number) =>
    (
      await cp.ok('POST', '/v1/agents/enrolment-tokens', {
        token: admin,
        body: { name, ...(expiresInMinutes === undefined ? {} : { expiresInMinutes }) },
      })
    ).token as string;

  beforeAll(async () => {
    cp = await liveControlPlane();
    admin = await cp.login('admin@acme.test');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('issues a 24 h client certificate bound to the agent, stores only the token’s hash, audits', async () => {
    const token = await tokenFor('edge-1');
    expect(token).toMatch(/^isotyp_enrol_[A-Za-z0-9_-]{43}$/);
    const sent = enrolment(token);
    const enrolled = await cp.ok('POST', '/v1/agents/enroll', { body: sent.body });
    expect(enrolled).toMatchObject({ orgId: 'acme', name: 'edge-1', agentId: expect.stringMatching(/^agt_/) });

    const cert = new X509Certificate(enrolled.certificate);
    const ca = new X509Certificate(enrolled.ca.certificate);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subjectAltName).toBe(`URI:urn:isotyp:agent:acme:${enrolled.agentId}`);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    const hours = (Date.parse(cert.validTo) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    expect(enrolled.ca.fingerprint).toBe(ca.fingerprint256);

    const stored = await cp.server.store.agents.get('acme', enrolled.agentId);
    expect(stored).toMatchObject({ name: 'edge-1', identityKeyId: sent.identityKeyId });
    // The same number: X509Certificate writes it without the leading zero byte a serial starting
    // 0x00 keeps in the store (one in 128 of them), as authenticate.ts compares them.
    expect(stored?.certificateSerial.replace(/^0+/, '')).toBe(cert.serialNumber.toLowerCase().replace(/^0+/, ''));
    // The token itself is nowhere in the database file, only its hash.
    const { readFileSync } = await import('node:fs');
    const dbFile = readFileSync(cp.databaseFile);
    expect(dbFile.includes(Buffer.from(token))).toBe(false);
    const audit = await cp.server.store.audit.byEntity('acme', 'agent', enrolled.agentId);
    expect(audit.map((e) => e.action)).toEqual(['agent.enroll']);
  });

  it('lets exactly one of two concurrent redemptions of one token through', async () => {
    const token = await tokenFor('edge-race');
    const answers = await Promise.all(
      [enrolment(token), enrolment(token)].map((e) => cp.call('POST', '/v1/agents/enroll', { body: e.body })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 401]);
    const again = await cp.call('POST', '/v1/agents/enroll', { body: enrolment(token).body });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
  });

  it('refuses a bad request before spending the token on it', async () => {
    const token = await tokenFor('edge-careful');
    const good = enrolment(token);
    const otherProof = enrolment(await tokenFor('edge-other')).body.identity;
    for (const body of [
      { ...good.body, csr: tamperedSignature(good.body.csr) },
      { ...good.body, csr: enrolment(token, 1024).body.csr },
      { ...good.body, identity: otherProof },
      { ...good.body, identity: { ...good.body.identity, sig: `${'A'.repeat(85)}A` } },
    ]) {
      const answer = await cp.call('POST', '/v1/agents/enroll', { body });
      expect(answer.status, JSON.stringify(answer.body)).toBeGreaterThanOrEqual(400);
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
    }
    // Still unspent: the honest request goes through.
    expect((await cp.call('POST', '/v1/agents/enroll', { body: good.body })).status).toBe(201);
  });

  it('refuses an unknown or malformed token the same way, and tokens that would outlive 30 minutes', async () => {
    for (const token of [`isotyp_enrol_${'x'.repeat(43)}`, 'not-a-token']) {
      const answer = await cp.call('POST', '/v1/agents/enroll', { body: enrolment(token).body });
      expect([answer.status, answer.body.error.code]).toEqual([401, 'ISOTYP_UNAUTHENTICATED']);
    }
    const tooLong = await cp.call('POST', '/v1/agents/enrolment-tokens', {
      token: admin,
      body: { name: 'x', expiresInMinutes: 31 },
    });
    expect(tooLong.status).toBe(400);
  });

  it('lists and revokes agents (admins only)', async () => {
    const { agents } = await cp.ok('GET', '/v1/agents', { token: admin });
    expect(agents.map((a: { name: string }) => a.name)).toContain('edge-1');
    const id = agents[0].id;
    const revoked = await cp.ok('DELETE', `/v1/agents/${id}`, { token: admin });
    expect(revoked.revokedAt).toEqual(expect.any(String));
    const viewer = await cp.person(admin, 'viewer@acme.test', ['approver']);
    expect((await cp.call('DELETE', `/v1/agents/${id}`, { token: viewer.token })).status).toBe(403);
  });

  it('issues the control plane its own certificate: a P-256 key, its host names, signed by the CA', async () => {
    const ca = await CertificateAuthority.open(cp.server.store, CA_PASSPHRASE, new Date());
    const now = new Date();
    const issued = ca.issueServerCertificate(['cp.acme.test', '127.0.0.1'], { hours: 2, now });
    const cert = new X509Certificate(issued.pem);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(cert.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(cert.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:cp.acme.test, IP Address:127.0.0.1');
    // Node drops the 00 that DER puts before a serial whose top bit is set (1 in 256 serials).
    const serial = (hex: string) => hex.toLowerCase().replace(/^(00)+/, '');
    expect(serial(cert.serialNumber)).toBe(serial(issued.serial));
    expect(Date.parse(cert.validTo)).toBe(Math.floor(issued.notAfter.getTime() / 1000) * 1000);
    expect(issued.notAfter.getTime() - now.getTime()).toBe(2 * 3600 * 1000);
    // What node-forge's own certificate of the key would say: its extensions, and the key
    // identifier (SHA-1 of the key's bits) a chain builder matches with the CA's.
    // node-forge reads no certificate of an EC key whole, but its extensions it does.
    const tbs = (
      forge.asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary'))).value as forge.asn1.Asn1[]
    )[0] as forge.asn1.Asn1;
    const tagged = (tbs.value as forge.asn1.Asn1[]).find(
      (part) => part.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && part.type === 3,
    );
    const extensions = (
      forge.pki as unknown as {
        certificateExtensionsFromAsn1(a: forge.asn1.Asn1): { name: string; [key: string]: unknown }[];
      }
    ).certificateExtensionsFromAsn1(tagged as forge.asn1.Asn1);
    const extension = (name: string) => extensions.find((e) => e.name === name);
    expect(extension('keyUsage')).toMatchObject({ critical: true, digitalSignature: true, keyEncipherment: false });
    expect(extension('basicConstraints')).toMatchObject({ critical: true, cA: false });
    expect(extension('extKeyUsage')).toMatchObject({ serverAuth: true });
    const bits = cert.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65);
    const sha1 = forge.md.sha1.create();
    sha1.update(bits.toString('binary'));
    expect(extension('subjectKeyIdentifier')?.subjectKeyIdentifier).toBe(sha1.digest().toHex());
  });

  it('gives certificates that Node’s TLS accepts for mutual authentication, and no others', async () => {
    const token = await tokenFor('edge-tls');
    const sent = enrolment(token);
    const enrolled = await cp.ok('POST', '/v1/agents/enroll', { body: sent.body });
    const ca = await CertificateAuthority.open(cp.server.store, CA_PASSPHRASE, new Date());
    const server = ca.issueServerCertificate(['127.0.0.1', 'localhost'], { hours: 1, now: new Date() });
    const https = createServer(
      {
        key: server.keyPem,
        cert: server.pem,
        ca: enrolled.ca.certificate,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.end(peer.subjectaltname ?? '');
      },
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const { port } = https.address() as { port: number };
    const call = (connect: Record<string, unknown>) =>
      undiciFetch(`https://127.0.0.1:${port}/`, { dispatcher: new Agent({ connect }) }).then((r) => r.text());
    try {
      // The agent pins the CA it was given, and presents its certificate.
      expect(await call({ ca: enrolled.ca.certificate, cert: enrolled.certificate, key: sent.keyPem })).toBe(
        `URI:urn:isotyp:agent:acme:${enrolled.agentId}`,
      );
      // Without a certificate, or with one from another CA, the handshake fails.
      await expect(call({ ca: enrolled.ca.certificate })).rejects.toThrow();
      const stranger = enrolment(token);
      await expect(
        call({ ca: enrolled.ca.certificate, cert: selfSigned(stranger.keyPem), key: stranger.keyPem }),
      ).rejects.toThrow();
    } finally {
      https.close();
      https.closeAllConnections();
    }
  });
});

/** A certificate the agent made for itself, not issued by the CA. */
function selfSigned(keyPem: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  cert.setSubject([{ name: 'commonName', value: 'impostor' }]);
  cert.setIssuer([{ name: 'commonName', value: 'impostor' }]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** The same request with one bit of its signature flipped. */
function tamperedSignature(csrPem: string): string {
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  const signature = csr.signature as string;
  csr.signature = signature.slice(0, -1) + String.fromCharCode(signature.charCodeAt(signature.length - 1) ^ 1);
  return forge.pki.certificationRequestToPem(csr);
}
