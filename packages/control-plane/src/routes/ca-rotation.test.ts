import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateRequest, enrolmentRequest, type TlsCallOptions, tlsCall } from '../test-support/agent-enrolment.js';
import { type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/*
 * Rotating the agent CA with an overlap, over real mutual TLS: during the overlap the old CA
 * still signs the server's certificate (agents that pin only it keep working) while the new one
 * issues; agents that renew learn the new CA; when the overlap ends the server switches, and an
 * agent that never renewed — pinning only the old CA — can no longer connect.
 */
const OVERLAP_SECONDS = 4;

describe('agent CA rotation', () => {
  let cp: LiveControlPlane;
  let admin: string;
  let oldCa: string;

  const call = (path: string, trust: string, options: TlsCallOptions = {}) =>
    tlsCall(`${cp.url}${path}`, trust, options);
  const heartbeat = { version: '0.1.0', targets: [] };

  beforeAll(async () => {
    cp = await liveControlPlane(undefined, { tls: true, caOverlapSeconds: OVERLAP_SECONDS });
    oldCa = (await cp.server.store.authorities.active())?.certificatePem as string;
    admin = (
      await call('/v1/auth/login', oldCa, {
        method: 'POST',
        body: { org: 'acme', email: 'admin@acme.test', password: 'correct horse battery staple' },
      })
    ).body.accessToken;
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('keeps agents working through the overlap, teaches the new CA at renewal, then switches', async () => {
    const enrol = async (name: string, trust: string) => {
      const { token } = (
        await call('/v1/agents/enrolment-tokens', trust, { method: 'POST', token: admin, body: { name } })
      ).body;
      const sent = enrolmentRequest(token);
      const enrolled = await call('/v1/agents/enroll', trust, { method: 'POST', body: sent.body });
      expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
      return { body: enrolled.body, cert: { cert: enrolled.body.certificate as string, key: sent.keyPem } };
    };
    const before = await enrol('edge-before', oldCa);

    const rotated = await call('/v1/agents/ca/rotate', oldCa, { method: 'POST', token: admin });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const newCa = (await cp.server.store.authorities.active())?.certificatePem as string;
    expect(new X509Certificate(newCa).fingerprint256).toBe(rotated.body.fingerprint);
    expect(rotated.body.previous).toBe(new X509Certificate(oldCa).fingerprint256);

    // During the overlap: the agent that pins only the old CA, with its old certificate, works.
    expect(
      (await call('/v1/agent/heartbeat', oldCa, { method: 'POST', body: heartbeat, cert: before.cert })).status,
    ).toBe(200);
    // It renews: a certificate from the new CA, and the bundle of both to pin.
    const tls = certificateRequest();
    const renewed = await call('/v1/agent/certificate', oldCa, {
      method: 'POST',
      body: { csr: tls.csrPem },
      cert: before.cert,
    });
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
    expect(new X509Certificate(renewed.body.certificate).checkIssued(new X509Certificate(newCa))).toBe(true);
    expect(renewed.body.caBundle).toEqual([newCa, oldCa]);
    const bundle = renewed.body.caBundle.join('');
    const renewedCert = { cert: renewed.body.certificate, key: tls.keyPem };
    expect(
      (await call('/v1/agent/heartbeat', bundle, { method: 'POST', body: heartbeat, cert: renewedCert })).status,
    ).toBe(200);
    // An agent enrolled during the overlap gets a new-CA certificate and the bundle.
    const during = await enrol('edge-during', oldCa);
    expect(new X509Certificate(during.cert.cert).checkIssued(new X509Certificate(newCa))).toBe(true);
    expect(during.body.ca.bundle).toEqual([newCa, oldCa]);
    // Rotation is an admin's act, and on the record.
    const audit = await cp.server.store.audit.range(0, 1000);
    expect(audit.map((e) => e.action)).toContain('agent.ca.rotate');

    // The overlap ends: the server's certificate now comes from the new CA.
    const deadline = Date.now() + (OVERLAP_SECONDS + 10) * 1000;
    let switched = false;
    while (!switched && Date.now() < deadline) {
      switched = await call('/healthz', newCa).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!switched) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(switched).toBe(true);
    // The agent that renewed (both CAs pinned) goes on; one that pins only the old CA cannot connect.
    expect(
      (await call('/v1/agent/heartbeat', bundle, { method: 'POST', body: heartbeat, cert: renewedCert })).status,
    ).toBe(200);
    await expect(
      call('/v1/agent/heartbeat', oldCa, { method: 'POST', body: heartbeat, cert: before.cert }),
    ).rejects.toThrow();
  }, 60_000);
});
