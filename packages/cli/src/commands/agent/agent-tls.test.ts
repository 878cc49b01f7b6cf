import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';

/*
 * An agent's life over HTTPS, with the built binary: the control plane serves TLS with a
 * certificate from its own CA; the admin's CLI trusts that CA (NODE_EXTRA_CA_CERTS), the agent
 * trusts nothing until the CA it is served matches the fingerprint the admin handed over, then
 * authenticates with its client certificate alone.
 */
const admin = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };

describe('isotyp agent over mutual TLS', () => {
  let cp: LiveControlPlane;
  const adminHome = scratchHome();
  const agentHome = scratchHome();
  let caFile: string;
  const asAdmin = async (args: string[], input = '') => {
    const result = await runCliAsync([...args, '--json'], {
      home: adminHome,
      input,
      env: { ISOTYP_SERVER: cp.url, NODE_EXTRA_CA_CERTS: caFile },
    });
    return { status: result.status, body: JSON.parse(result.stdout || 'null'), stderr: result.stderr };
  };
  const asAgent = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runCliAsync([...args, '--json'], { home: agentHome, env });
    return { status: result.status, body: JSON.parse(result.stdout || 'null'), stderr: result.stderr };
  };

  beforeAll(async () => {
    cp = await startLiveControlPlane({ org: 'acme', admin, tls: true });
    caFile = join(adminHome, 'isotyp-ca.crt');
    writeFileSync(caFile, (await cp.store.authorities.active())?.certificatePem ?? '');
    const login = await asAdmin(['login', '--org', 'acme', '--email', admin.email, '--password-stdin'], admin.password);
    expect(login.status, login.stderr).toBe(0);
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('enrols only against the CA whose fingerprint the admin gave, then reports in with its certificate', async () => {
    expect(cp.url).toMatch(/^https:/);
    const made = await asAdmin(['agents', 'token', 'edge-1']);
    expect(made.status, made.stderr).toBe(0);
    const { token, caFingerprint } = made.body;

    const wrong = await asAgent(['agent', 'enroll', '--url', cp.url, '--ca-fingerprint', 'AB'.repeat(32)], {
      ISOTYP_ENROLMENT_TOKEN: token,
    });
    expect(wrong.status).toBe(77);
    expect(wrong.body.error.code).toBe('ISOTYP_TRUST_MISMATCH');
    expect(existsSync(join(agentHome, '.isotyp', 'agent', 'agent.json'))).toBe(false);
    const without = await asAgent(['agent', 'enroll', '--url', cp.url], { ISOTYP_ENROLMENT_TOKEN: token });
    expect(without.status).toBe(64);

    const enrolled = await asAgent(['agent', 'enroll', '--url', cp.url, '--ca-fingerprint', caFingerprint], {
      ISOTYP_ENROLMENT_TOKEN: token,
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(0);

    const db = join(agentHome, 'orders.db');
    const conn = new Database(db);
    conn.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)');
    conn.close();
    // Isotyp applies a first change, so the target has a state drift is measured against.
    const schema = join(agentHome, 'schema.sql');
    writeFileSync(schema, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, currency TEXT);\n');
    const plan = join(agentHome, 'plan.json');
    expect((await asAgent(['plan', '--target', `sqlite:${db}`, '--schema', schema, '--out', plan])).status).toBe(0);
    expect((await asAgent(['apply', '--target', `sqlite:${db}`, '--plan', plan, '--yes'])).status).toBe(0);

    const heard = await asAgent(['agent', 'heartbeat', '--target', `orders=sqlite:${db}`]);
    expect(heard.status, JSON.stringify(heard.body)).toBe(0);
    expect(heard.body.nextHeartbeatSeconds).toBe(30);
    const digest = (await asAgent(['inspect', '--target', `sqlite:${db}`])).body.digest;

    const fleet = await asAdmin(['agents', 'list']);
    expect(fleet.body).toHaveLength(1);
    expect(fleet.body[0]).toMatchObject({
      name: 'edge-1',
      stale: false,
      version: expect.any(String),
      report: { targets: [{ name: 'orders', dialect: 'sqlite', digest, drift: false }] },
    });

    // A hotfix behind Isotyp's back: the next heartbeat reports the drift.
    const hotfix = new Database(db);
    hotfix.exec('CREATE INDEX orders_total ON orders (total)');
    hotfix.close();
    expect((await asAgent(['agent', 'heartbeat', '--target', `orders=sqlite:${db}`])).status).toBe(0);
    const drifted = await asAdmin(['agents', 'list']);
    expect(drifted.body[0].report.targets[0]).toMatchObject({ name: 'orders', drift: true });

    // Renewal: not before half the certificate's life with --if-due; on demand, a new key and
    // certificate, which the next heartbeat then authenticates with.
    // The admin rotates the CA; the agent learns the new one when it renews.
    const rotated = await asAdmin(['agents', 'rotate-ca']);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(0);
    expect(rotated.body.previous).toBe(caFingerprint);
    const notDue = await asAgent(['agent', 'renew', '--if-due']);
    expect(notDue.body).toMatchObject({ renewed: false });
    const renewed = await asAgent(['agent', 'renew']);
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(0);
    expect(renewed.body.renewed).toBe(true);
    const pinned = readFileSync(join(agentHome, '.isotyp', 'agent', 'ca.crt'), 'utf8');
    expect(pinned.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    const serials = await cp.store.agents.get('acme', enrolled.body.agentId);
    expect((await asAgent(['agent', 'heartbeat'])).status).toBe(0);
    expect((await cp.store.agents.get('acme', enrolled.body.agentId))?.certificateSerial).toBe(
      serials?.certificateSerial,
    );

    const revoked = await asAdmin(['agents', 'revoke', enrolled.body.agentId]);
    expect(revoked.status, revoked.stderr).toBe(0);
    const refused = await asAgent(['agent', 'heartbeat']);
    expect(refused.status).toBe(77);
    expect(refused.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
  });
});
