import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodePublicKey, generateKeyPair, keyId, ORG_ROOT_ENVELOPE_TYPE, sealEnvelope } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';

/*
 * isotyp agents token / agent enroll / agents list / agents revoke, as the built binary against
 * a real control plane: the admin makes a token, the agent's machine redeems it once.
 */
const admin = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };

describe('isotyp agent enroll', () => {
  let cp: LiveControlPlane;
  const adminHome = scratchHome();
  const json = async (home: string, args: string[], env: Record<string, string> = {}) => {
    const result = await runCliAsync([...args, '--json'], { home, env: { ISOTYP_SERVER: cp.url, ...env } });
    return { status: result.status, body: JSON.parse(result.stdout), stderr: result.stderr };
  };

  beforeAll(async () => {
    cp = await startLiveControlPlane({ org: 'acme', admin });
    const login = await runCliAsync(['login', '--org', 'acme', '--email', admin.email, '--password-stdin'], {
      home: adminHome,
      input: admin.password,
      env: { ISOTYP_SERVER: cp.url },
    });
    expect(login.status, login.stderr).toBe(0);
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('enrols with a one-time token: keys stay on the machine (0600), the CA and org root are pinned', async () => {
    // The org root exists, as after isotyp org init: the agent pins it.
    const adminToken = await cp.login(admin.email, admin.password);
    const root = generateKeyPair();
    const rootKeyId = keyId(root.publicKey);
    await cp.ok('POST', '/v1/trust/root', {
      token: adminToken,
      body: {
        envelope: sealEnvelope({
          type: ORG_ROOT_ENVELOPE_TYPE,
          payload: { org: 'acme', keyId: rootKeyId, publicKey: encodePublicKey(root.publicKey) },
          secretKey: root.secretKey,
        }),
      },
    });

    const made = await json(adminHome, ['agents', 'token', 'edge-1']);
    expect(made.status, made.stderr).toBe(0);
    const home = scratchHome();
    const enrolled = await json(home, ['agent', 'enroll', '--url', cp.url], {
      ISOTYP_ENROLMENT_TOKEN: made.body.token,
    });
    expect(enrolled.status, enrolled.stderr).toBe(0);
    expect(enrolled.body).toMatchObject({ orgId: 'acme', name: 'edge-1', orgRoot: { keyId: rootKeyId } });
    const dir = join(home, '.isotyp', 'agent');
    for (const file of ['identity.key', 'tls.pem', 'ca.crt', 'agent.json']) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(dir, 'tls.pem'), 'utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/,
    );
    // Nothing secret went out: the server knows the identity's public half only.
    const stored = await cp.store.agents.get('acme', enrolled.body.agentId);
    const identity = JSON.parse(readFileSync(join(dir, 'identity.key'), 'utf8'));
    expect(stored?.identityKeyId).toBe(identity.keyId);
    expect(JSON.stringify(stored)).not.toContain(identity.seed);

    const listed = await json(adminHome, ['agents', 'list']);
    expect(listed.body.map((a: { name: string }) => a.name)).toEqual(['edge-1']);

    // The token is spent; the machine is enrolled.
    const again = await json(scratchHome(), ['agent', 'enroll', '--url', cp.url], {
      ISOTYP_ENROLMENT_TOKEN: made.body.token,
    });
    expect(again.status).toBe(77);
    expect(again.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    const twice = await json(home, ['agent', 'enroll', '--url', cp.url], { ISOTYP_ENROLMENT_TOKEN: made.body.token });
    expect(twice.status).toBe(4);
    expect(twice.body.error.code).toBe('ISOTYP_CONFLICT');

    const revoked = await json(adminHome, ['agents', 'revoke', enrolled.body.agentId]);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
  });

  it('refuses something that is no enrolment token before calling anyone', async () => {
    const result = await json(scratchHome(), ['agent', 'enroll', '--url', cp.url, '--token', 'hunter2']);
    expect(result.status).toBe(64);
    expect(JSON.stringify(result.body)).not.toContain('hunter2');
  });
});
