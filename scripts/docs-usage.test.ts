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

describe('every isotyp command', () => {
  it('has a summary and at least one example in --help, and takes --json', async () => {
    const { readFileSync } = await import('node:fs');
    const manifest = JSON.parse(
      readFileSync(fileURLToPath(new URL('../packages/cli/oclif.manifest.json', import.meta.url)), 'utf8'),
    ) as { commands: Record<string, { summary?: string; examples?: unknown[]; flags: Record<string, unknown> }> };
    const commands = Object.entries(manifest.commands);
    expect(commands.length).toBeGreaterThan(50);
    const lacking = commands
      .filter(([, c]) => !c.summary || (c.examples ?? []).length === 0 || c.flags.json === undefined)
      .map(([id]) => id);
    expect(lacking).toEqual([]);
  });
});
