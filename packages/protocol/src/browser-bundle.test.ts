import { webcrypto } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The console signs approvals with this very package in a browser. Bundle it for the browser
// (esbuild refuses node: built-ins there) and run it where only browser globals exist: no
// process, no Buffer, no require.
describe('protocol in a browser-like runtime', () => {
  it('bundles for the browser and signs, verifies and digests without Node globals', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'isotypProtocol',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.text ?? '';
    expect(code.length).toBeGreaterThan(10_000);

    const sandbox: Record<string, unknown> = {
      TextEncoder,
      TextDecoder,
      crypto: { getRandomValues: webcrypto.getRandomValues.bind(webcrypto) },
    };
    sandbox.self = sandbox;
    const context = createContext(sandbox);
    runInContext(code, context);
    const outcome = runInContext(
      `(() => {
        const p = self.isotypProtocol;
        const keys = p.generateKeyPair();
        const env = p.sealEnvelope({ type: 'isotyp.approval', payload: { layer: 1 }, secretKey: keys.secretKey });
        const wire = p.encodeEnvelope(env);
        const opened = p.openEnvelope(wire, {
          type: 'isotyp.approval',
          keys: new Map([[p.keyId(keys.publicKey), keys.publicKey]]),
          payload: p.anyPayload,
        });
        let tampered = 'accepted';
        try { p.openEnvelope(wire.replace('"layer":1', '"layer":2'), { type: 'isotyp.approval', keys: () => keys.publicKey, payload: p.anyPayload }); }
        catch (e) { tampered = e.code; }
        return JSON.stringify({
          layer: opened.payload.layer,
          digest: p.digest('schema', { b: 1, a: 2 }),
          tampered,
          nodeGlobals: [typeof process, typeof Buffer, typeof require],
          ed25519: p.currentEd25519().name,
        });
      })()`,
      context,
    );
    const parsed = JSON.parse(outcome as string);
    expect(parsed.layer).toBe(1);
    expect(parsed.tampered).toBe('ISOTYP_SIGNATURE_INVALID');
    expect(parsed.nodeGlobals).toEqual(['undefined', 'undefined', 'undefined']);
    // No Node underneath: signatures are made and checked by tweetnacl's pure JavaScript.
    expect(parsed.ed25519).toBe('tweetnacl');
    const { digest } = await import('./digest.js');
    expect(parsed.digest).toBe(digest('schema', { a: 2, b: 1 }));
  });
});
