import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * docs/reference is generated from the CLI's command manifest and the control plane's OpenAPI
 * document: this fails when a command, flag, example or route changed and the reference was
 * not regenerated (node scripts/reference-docs.mjs).
 */
describe('docs/reference', () => {
  it('is what the code says: every command, flag, example and route', () => {
    const script = fileURLToPath(new URL('./reference-docs.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});
