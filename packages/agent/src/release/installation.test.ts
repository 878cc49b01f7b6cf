import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePublicKey, generateKeyPair } from '@isotyp/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { signInstallation, verifyInstallation } from './installation.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A small installation: two packages' package.json, compiled code, the CLI's entry point. */
function installation(): string {
  const root = mkdtempSync(join(tmpdir(), 'isotyp-install-'));
  dirs.push(root);
  for (const [path, text] of <[string, string][]>[
    ['packages/agent/package.json', '{"name":"@isotyp/agent"}'],
    ['packages/agent/dist/index.js', 'export const a = 1;'],
    ['packages/agent/dist/apply/apply.js', 'export const apply = () => {};'],
    ['packages/agent/dist/index.d.ts', 'export declare const a: number;'],
    ['packages/cli/package.json', '{"name":"@isotyp/cli"}'],
    ['packages/cli/bin/run.js', '#!/usr/bin/env node'],
  ]) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the signed release manifest', () => {
  const release = generateKeyPair();
  const trusted = [encodePublicKey(release.publicKey)];

  it('covers the code that runs (not declarations) and verifies an untouched installation', () => {
    const root = installation();
    const manifest = signInstallation(root, { version: '1.2.3', channel: 'release', secretKey: release.secretKey });
    expect(Object.keys(manifest.payload.files)).toEqual([
      'packages/agent/dist/apply/apply.js',
      'packages/agent/dist/index.js',
      'packages/agent/package.json',
      'packages/cli/bin/run.js',
      'packages/cli/package.json',
    ]);
    expect(verifyInstallation(root, manifest, trusted)).toMatchObject({
      version: '1.2.3',
      channel: 'release',
      files: 5,
    });
  });

  it('names every file changed, missing or added', () => {
    const root = installation();
    const manifest = signInstallation(root, { version: '1.2.3', channel: 'release', secretKey: release.secretKey });
    writeFileSync(join(root, 'packages/agent/dist/apply/apply.js'), 'export const apply = () => { steal(); };');
    rmSync(join(root, 'packages/cli/bin/run.js'));
    writeFileSync(join(root, 'packages/agent/dist/extra.js'), 'backdoor();');
    let error: { code?: string; details?: unknown } | undefined;
    try {
      verifyInstallation(root, manifest, trusted);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('ISOTYP_DIGEST_MISMATCH');
    expect(error?.details).toEqual({
      changed: ['packages/agent/dist/apply/apply.js'],
      missing: ['packages/cli/bin/run.js'],
      added: ['packages/agent/dist/extra.js'],
    });
  });

  it('refuses a manifest signed by a key it does not trust, or edited after signing', () => {
    const root = installation();
    const manifest = signInstallation(root, {
      version: '1.2.3',
      channel: 'development',
      secretKey: generateKeyPair().secretKey,
    });
    expect(() => verifyInstallation(root, manifest, trusted)).toThrow(
      expect.objectContaining({ code: 'ISOTYP_SIGNATURE_INVALID' }),
    );
    const signed = signInstallation(root, { version: '1.2.3', channel: 'release', secretKey: release.secretKey });
    const edited = { ...signed, payload: { ...signed.payload, version: '9.9.9' } };
    expect(() => verifyInstallation(root, edited, trusted)).toThrow(
      expect.objectContaining({ code: 'ISOTYP_SIGNATURE_INVALID' }),
    );
  });
});
