import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Tests that run the real `isotyp` binary need compiled output. `tsc -b` is incremental, so
 * this costs well under a second when nothing changed. ISOTYP_SKIP_BUILD=1 skips it for runs
 * that need no binary (several people editing different packages at once, say).
 */
export default function setup(): void {
  if (process.env.ISOTYP_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-b'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  // As pnpm build does: the CLI's command manifest (fast --help), then the signed manifest of
  // what was just built (isotyp agent verify), which covers it.
  execFileSync(process.execPath, [fileURLToPath(new URL('./cli-manifest.mjs', import.meta.url))], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [fileURLToPath(new URL('./release-manifest.mjs', import.meta.url))], {
    cwd: root,
    stdio: 'ignore',
  });
  // The console's browser bundle, which the control plane serves (and the browser tests run).
  execFileSync(process.execPath, [fileURLToPath(new URL('./build-console.mjs', import.meta.url))], {
    cwd: root,
    stdio: 'inherit',
  });
}
