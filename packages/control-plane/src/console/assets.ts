import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSS } from './styles.js';

/** Where scripts/build-console.mjs writes the browser bundle (beside src/ and dist/ alike). */
export const CONSOLE_SCRIPT_PATH = fileURLToPath(new URL('../../console-assets/console.js', import.meta.url));

export interface Asset {
  body: string;
  /** First 16 hex digits of SHA-256: the cache-busting part of the asset's URL. */
  hash: string;
  type: string;
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The console's stylesheet and script, read once at start-up. The script is the bundle
 * `pnpm build` makes; without it the pages still render (reading works) and say that signing
 * needs the bundle.
 */
export function loadConsoleAssets(scriptPath = CONSOLE_SCRIPT_PATH): { css: Asset; js: Asset | undefined } {
  let script: string | undefined;
  try {
    script = readFileSync(scriptPath, 'utf8');
  } catch {
    script = undefined;
  }
  return {
    css: { body: CONSOLE_CSS, hash: hashOf(CONSOLE_CSS), type: 'text/css; charset=utf-8' },
    js:
      script === undefined ? undefined : { body: script, hash: hashOf(script), type: 'text/javascript; charset=utf-8' },
  };
}
