import { webcrypto } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The web console evaluates policies and signs approvals with this package, so the CEL engine
// must bundle for the browser and run with browser globals only.
describe('policies in a browser-like runtime', () => {
  it('compiles and evaluates conditions, signs and checks an approval without Node globals', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'isotypProtocol',
      write: false,
      logLevel: 'silent',
    });
    const sandbox: Record<string, unknown> = {
      TextEncoder,
      TextDecoder,
      crypto: { getRandomValues: webcrypto.getRandomValues.bind(webcrypto) },
    };
    sandbox.self = sandbox;
    const context = createContext(sandbox);
    runInContext(result.outputFiles[0]?.text ?? '', context);
    const outcome = runInContext(
      `(() => {
        const p = self.isotypProtocol;
        const facts = p.changeFacts(
          { mode: 'digest', opCount: 1, actions: { 'drop-table': 1 }, risk: 'destructive', dataLoss: true, nonTransactional: false },
          [], 'major');
        const env = { id: 'e', name: 'prod', privacyMode: 'digest', project: 'p' };
        const root = p.generateKeyPair();
        const dba = p.generateKeyPair();
        const policy = { org: 'acme', version: 1, layers: [{ name: 'dba', when: 'change.dataLoss', required: 1, role: 'dba' }] };
        const keyring = { org: 'acme', version: 1, keys: [
          { keyId: p.keyId(dba.publicKey), publicKey: p.encodePublicKey(dba.publicKey), userId: 'bob', roles: ['dba'] }] };
        const orgRoot = { org: 'acme', keyId: p.keyId(root.publicKey), publicKey: p.encodePublicKey(root.publicKey) };
        const opened = p.openPolicy(p.encodeEnvelope(p.sealPolicy(policy, root.secretKey)), orgRoot);
        const planDigest = p.digest('plan', { ops: [] });
        const approval = p.signApproval({ changeId: 'c', targetId: 't', planDigest, policyVersion: 1, layer: 'dba',
          decision: 'approve', expiresAt: new Date(Date.now() + 3600e3).toISOString() }, dba.secretKey);
        const ctx = { change: { changeId: 'c', targetId: 't', planDigest, facts }, environment: env, policy: opened,
          keyring, authorUserId: 'alice', now: new Date() };
        return JSON.stringify({
          prod: p.evaluateCondition('environment.name == "prod" && change.actions["drop-table"] > 0', 'x', facts, env),
          accepted: p.checkApproval({ ...ctx, approval, accepted: [] }).userId,
          status: p.evaluateApprovals({ ...ctx, approvals: [approval] }).status,
          nodeGlobals: [typeof process, typeof Buffer, typeof require],
        });
      })()`,
      context,
    );
    expect(JSON.parse(outcome as string)).toEqual({
      prod: { ok: true, value: true },
      accepted: 'bob',
      status: 'approved',
      nodeGlobals: ['undefined', 'undefined', 'undefined'],
    });
  });
});
