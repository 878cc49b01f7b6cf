#!/usr/bin/env node
// Bundles the web console's browser script (packages/control-plane/src/console/client) into
// packages/control-plane/console-assets/console.js, which the control plane serves at
// /console/assets/console.js. The protocol package is bundled from its sources (it runs in
// browsers: tweetnacl underneath, no Node built-ins). `pnpm build` and the test setup run this.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}packages/control-plane/console-assets/console.js`;
mkdirSync(`${root}packages/control-plane/console-assets`, { recursive: true });
// zod exports every locale's messages through its `z` namespace (~400 KB minified); the console
// shows the API's own errors, so only the English messages zod falls back to are kept.
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'/'}zod${'/'}`)
        ? { path: join(dirname(args.importer), args.path), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};
const result = await build({
  plugins: [englishOnlyZod],
  entryPoints: [`${root}packages/control-plane/src/console/client/console-client.ts`],
  alias: { '@isotyp/protocol': `${root}packages/protocol/src/index.ts` },
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['es2020'],
  minify: true,
  legalComments: 'eof',
  metafile: true,
  outfile,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
if (process.argv.includes('--report')) console.log(`console.js: ${(bytes / 1024).toFixed(1)} KiB`);
