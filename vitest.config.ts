import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources of sibling packages, so no build is needed between edits.
    alias: {
      '@isotyp/protocol': src('protocol'),
      '@isotyp/agent': src('agent'),
      '@isotyp/control-plane': src('control-plane'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.{ts,tsx}',
      'examples/*/**/*.test.ts',
      'scripts/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['scripts/vitest-global-setup.ts', 'scripts/vitest-postgres-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
