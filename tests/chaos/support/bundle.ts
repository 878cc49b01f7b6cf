import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll } from 'vitest';

/*
 * The chaos tests kill, race and restart real processes, so the code under test must run in a
 * child process of its own — and Node 20 cannot run TypeScript. Each child entry point
 * (support/*-child.ts) is bundled with esbuild from the current sources (no stale dist, no build
 * step), into node_modules/.cache so that the native drivers it leaves out (better-sqlite3, pg)
 * resolve from the workspace root as they do for the tests themselves.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cacheRoot = join(root, 'node_modules', '.cache', 'isotyp-chaos');

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Bundles `support/<name>.ts` into a runnable ES module and returns its path; removed after the
 * test file finishes.
 *
 * @example
 * const child = await bundleChild('apply-child');
 * spawn(process.execPath, [child, JSON.stringify(job)]);
 */
export async function bundleChild(name: string): Promise<string> {
  mkdirSync(cacheRoot, { recursive: true });
  const dir = mkdtempSync(join(cacheRoot, `${name}-`));
  dirs.push(dir);
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Native, or loaded only on demand: taken from node_modules at run time.
    external: ['better-sqlite3', 'pg', 'pg-native', 'keytar'],
    alias: { '@isotyp/protocol': join(root, 'packages', 'protocol', 'src', 'index.ts') },
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as isotypRequire } from 'node:module'; const require = isotypRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return outfile;
}
