import { defineConfig } from 'drizzle-kit';

/**
 * Migrations for the control plane's sqlite store. After changing src/storage/sqlite/schema.ts, run
 * from packages/control-plane (drizzle-kit resolves these paths against the working directory):
 * `npx drizzle-kit generate --config drizzle.sqlite.config.ts --name <what-changed>`.
 */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/storage/sqlite/schema.ts',
  out: './drizzle/sqlite',
});
