import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * Every `isotyp …` line in the README, the concept pages, the quickstart and the examples names a
 * command that exists, with flags that command has (scripts/check-isotyp-usage.mjs against the
 * built CLI's manifest): docs cannot keep showing a flag that was renamed.
 */
describe('isotyp command lines in the docs', () => {
  it('name existing commands and flags', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const concepts = readdirSync(`${root}docs/concepts`).map((f) => `${root}docs/concepts/${f}`);
    const guides = readdirSync(`${root}docs/guides`).map((f) => `${root}docs/guides/${f}`);
    const files = [`${root}README.md`, `${root}scripts/quickstart.sh`, ...concepts, ...guides];
    const result = spawnSync(process.execPath, [`${root}scripts/check-isotyp-usage.mjs`, ...files], {
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\d{2,} isotyp command line\(s\) checked/);
  });
});
