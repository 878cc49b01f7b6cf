import { defineConfig } from 'drizzle-kit';

/**
 * Migrations for the control plane's postgres store. After changing src/storage/postgres/schema.ts, run
 * from packages/control-plane (drizzle-kit resolves these paths against the working directory):
 * `npx drizzle-kit generate --config drizzle.postgres.config.ts --name <what-changed>`.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/storage/postgres/schema.ts',
  out: './drizzle/postgres',
});
