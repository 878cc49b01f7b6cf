import { formatVkey, generateKeyPair } from '@isotyp/protocol';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, checkCertificateRequest } from '../agents/certificate-authority.js';
import { certificateRequest, enrolmentRequest, type TlsCallOptions, tlsCall } from '../test-support/agent-enrolment.js';
import { approvalOf, submissionBody } from '../test-support/changes.js';
import { CA_PASSPHRASE, type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/*
 * The control plane over HTTPS (its certificate from the agent CA), with agents authenticated by
 * the client certificate they got at enrolment — Node's TLS does the chain check; the control
 * plane reads who it is from the certificate and refuses revoked agents.
 */
describe('agents over mutual TLS', () => {
  let cp: LiveControlPlane;
  let caPem: string;
  let admin: string;

  /** An HTTPS call trusting only the agent CA, with a client certificate when given. */
  const call = (path: string, options: TlsCallOptions = {}) => tlsCall(`${cp.url}${path}`, caPem, options);

  /** Enrols an agent as isotyp agent enroll does; its TLS key and certificate. */
  const enrol = async (name: string) => {
    const { token } = (await call('/v1/agents/enrolment-tokens', { method: 'POST', token: admin, body: { name } }))
      .body;
    const sent = enrolmentRequest(token);
    const enrolled = await call('/v1/agents/enroll', {
      method: 'POST',
      body: sent.body,
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    return {
      agentId: enrolled.body.agentId as string,
      cert: { cert: enrolled.body.certificate as string, key: sent.keyPem },
    };
  };

  const heartbeat = {
    version: '0.1.0',
    targets: [{ name: 'orders', dialect: 'postgres', digest: `sha256:${'a'.repeat(64)}`, drift: false }],
  };

  beforeAll(async () => {
    cp = await liveControlPlane(undefined, { tls: true });
    expect(cp.url).toMatch(/^https:\/\//);
    caPem = (await cp.server.store.authorities.active())?.certificatePem as string;
    admin = (
      await call('/v1/auth/login', {
        method: 'POST',
        body: { org: 'acme', email: 'admin@acme.test', password: 'correct horse battery staple' },
      })
    ).body.accessToken;
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('serves people over HTTPS with a certificate from the CA; the CA and its fingerprint are public', async () => {
    const ca = await call('/v1/agents/ca');
    expect(ca.body.certificate).toBe(caPem);
    expect(ca.body.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect((await call('/v1/auth/whoami', { token: admin })).body.kind).toBe('user');
  });

  it('knows an agent by its certificate, takes its heartbeat, and shows it in the fleet view', async () => {
    const edge = await enrol('edge-1');
    await enrol('edge-quiet');
    const who = await call('/v1/auth/whoami', { cert: edge.cert });
    expect(who.body).toEqual({ kind: 'agent', orgId: 'acme', agent: { agentId: edge.agentId } });
    const heard = await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: edge.cert });
    expect(heard.status, JSON.stringify(heard.body)).toBe(200);
    expect(heard.body.nextHeartbeatSeconds).toBe(30);

    const { agents } = (await call('/v1/agents', { token: admin })).body;
    const byName = Object.fromEntries(agents.map((a: { name: string }) => [a.name, a]));
    expect(byName['edge-1']).toMatchObject({ version: '0.1.0', stale: false, report: { targets: heartbeat.targets } });
    expect(byName['edge-quiet']).toMatchObject({ stale: true });
    expect(byName['edge-quiet'].lastSeenAt).toBeUndefined();
  });

  it('refuses heartbeats from nobody, from people, and from a revoked agent (its next request)', async () => {
    const edge = await enrol('edge-2');
    expect((await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat })).status).toBe(401);
    expect((await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, token: admin })).status).toBe(403);
    expect((await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: edge.cert })).status).toBe(200);
    await call(`/v1/agents/${edge.agentId}`, { method: 'DELETE', token: admin });
    const refused = await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: edge.cert });
    expect([refused.status, refused.body.error.code]).toEqual([401, 'ISOTYP_UNAUTHENTICATED']);
    expect(refused.body.error.message).toContain('revoked');
  });

  it('renews an agent’s certificate over mutual TLS; the old one is refused from then on', async () => {
    const edge = await enrol('edge-renew');
    const tls = certificateRequest();
    const renewed = await call('/v1/agent/certificate', { method: 'POST', body: { csr: tls.csrPem }, cert: edge.cert });
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
    const next = { cert: renewed.body.certificate, key: tls.keyPem };
    expect((await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: next })).status).toBe(200);
    const old = await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: edge.cert });
    expect([old.status, old.body.error.message]).toEqual([401, expect.stringContaining('not the agent’s current one')]);
    // A person cannot ask for an agent certificate.
    expect((await call('/v1/agent/certificate', { method: 'POST', token: admin, body: { csr: 'x' } })).status).toBe(
      403,
    );
    const audit = await cp.server.store.audit.byEntity('acme', 'agent', edge.agentId);
    expect(audit.map((e) => e.action)).toEqual(['agent.enroll', 'agent.certificate.renew']);
  });

  it('hands an agent the approved changes of the targets in its care, as soon as one is approved', async () => {
    const edge = await enrol('edge-work');
    const author = await cp.person(admin, 'author@acme.test', ['dba', 'approver']);
    const reviewer = await cp.person(admin, 'reviewer@acme.test', ['approver']);
    await cp.initTrust(
      admin,
      [
        { person: author, roles: ['dba', 'approver'] },
        { person: reviewer, roles: ['approver'] },
      ],
      [{ name: 'review', required: 1, role: 'approver' }],
    );
    const target = await cp.target(admin);
    const other = await cp.target(admin, { name: 'not-mine' });
    const assigned = await call(`/v1/targets/${target.targetId}/agent`, {
      method: 'POST',
      token: admin,
      body: { agentId: edge.agentId },
    });
    expect(assigned.body.agentId).toBe(edge.agentId);

    const idle = await call('/v1/agent/work', { cert: edge.cert });
    expect(idle.body).toEqual({
      targets: [expect.objectContaining({ id: target.targetId })],
      changes: [],
      applying: [],
    });

    // Long poll: asked first, answered when the change is approved — not at the 10 s wait's end.
    const asked = Date.now();
    const waiting = call('/v1/agent/work?wait=10', { cert: edge.cert });
    const elsewhere = await cp.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, other) });
    await cp.ok('POST', `/v1/changes/${elsewhere.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, elsewhere, 'review') },
    });
    const change = await cp.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, target) });
    await cp.ok('POST', `/v1/changes/${change.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, change, 'review') },
    });
    const work = await waiting;
    expect(Date.now() - asked).toBeLessThan(8000);
    // Only its own target's change: the one approved on another target is not its business.
    expect(work.body.changes).toEqual([
      { id: change.id, targetId: target.targetId, planDigest: change.planDigest, title: change.title },
    ]);
    expect((await call('/v1/agent/work', { token: admin })).status).toBe(403);
  });

  it('takes an agent’s audit checkpoints for its own log only, signed with its enrolment identity', async () => {
    const edge = await enrol('edge-audit');
    const other = generateKeyPair();
    const report = (agentId: string, vkey: string) => ({
      method: 'POST',
      cert: edge.cert,
      body: { agentId, note: 'isotyp.agent/x\n1\nAAAA\n\n— x AAAA\n', vkey },
    });
    const foreignVkey = formatVkey({ name: `isotyp.agent/${edge.agentId}`, publicKey: other.publicKey });
    const forOther = await call('/v1/audit/agent-checkpoints', report('agt_someone_else', foreignVkey));
    expect([forOther.status, forOther.body.error.code]).toEqual([403, 'ISOTYP_FORBIDDEN']);
    const otherKey = await call('/v1/audit/agent-checkpoints', report(edge.agentId, foreignVkey));
    expect([otherKey.status, otherKey.body.error.message]).toEqual([403, expect.stringContaining('identity')]);
  });

  it('refuses an expired certificate, even when it is the agent’s current one', async () => {
    const edge = await enrol('edge-expired');
    const ca = await CertificateAuthority.open(cp.server.store, CA_PASSPHRASE, new Date());
    const tls = certificateRequest();
    // Issued two days ago for one hour: expired an hour short of two days ago.
    const stale = ca.issueAgentCertificate(checkCertificateRequest(tls.csrPem), {
      orgId: 'acme',
      agentId: edge.agentId,
      hours: 1,
      now: new Date(Date.now() - 2 * 24 * 3600 * 1000),
    });
    const current = await cp.server.store.agents.get('acme', edge.agentId);
    expect(
      await cp.server.store.agents.renewCertificate('acme', edge.agentId, current?.certificateSerial ?? '', {
        serial: stale.serial,
        notAfter: stale.notAfter.toISOString(),
      }),
    ).toBe(true);
    const expired = { cert: stale.pem, key: tls.keyPem };
    const answer = await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: expired });
    expect([answer.status, answer.body.error.code]).toEqual([401, 'ISOTYP_UNAUTHENTICATED']);
  });

  it('authenticates nobody with a certificate from another issuer (the handshake still serves people)', async () => {
    const key = forge.pki.rsa.generateKeyPair(2048);
    const cert = forge.pki.createCertificate();
    cert.publicKey = key.publicKey;
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 3_600_000);
    const name = [{ name: 'commonName', value: 'forged' }];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.setExtensions([
      { name: 'subjectAltName', altNames: [{ type: 6, value: 'urn:isotyp:agent:acme:agt_forged' }] },
    ]);
    cert.sign(key.privateKey, forge.md.sha256.create());
    const forged = { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(key.privateKey) };
    const answer = await call('/v1/agent/heartbeat', { method: 'POST', body: heartbeat, cert: forged });
    expect(answer.status).toBe(401);
    expect((await call('/v1/auth/whoami', { cert: forged, token: admin })).body.kind).toBe('user');
  });

  it('shows the fleet in the web console: last seen, version, drift and certificate expiry', async () => {
    const edge = await enrol('edge-drift');
    await enrol('edge-silent');
    const drifted = { version: '0.2.0', targets: [{ ...heartbeat.targets[0], drift: true }] };
    expect((await call('/v1/agent/heartbeat', { method: 'POST', body: drifted, cert: edge.cert })).status).toBe(200);
    // Heartbeats are written once a second (HeartbeatBuffer); the fleet view also reads pending ones.
    cp.trust(caPem);
    const page = async (path: string) => {
      const answer = await cp.call('GET', path, { headers: { cookie: `isotyp_access=${admin}` } });
      expect(answer.status).toBe(200);
      return String(answer.body);
    };
    const fleet = await page('/console/agents');
    const row = (name: string) => fleet.slice(fleet.indexOf(name), fleet.indexOf('</tr>', fleet.indexOf(name)));
    expect(row('edge-drift')).toContain('online');
    expect(row('edge-drift')).toContain('0.2.0');
    expect(row('edge-drift')).toContain('drift on orders');
    expect(row('edge-drift')).toMatch(/expires in \d+ h/);
    expect(row('edge-silent')).toContain('not heard from');
    expect(row('edge-silent')).toContain('no report');
    // The audit page lists each agent's checkpoint status.
    const audit = await page('/console/audit');
    expect(audit).toContain('edge-silent');
    expect(audit).toContain('none yet');
  });
});
