import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findPgBin, startPostgres } from './pg-server.mjs';

/*
 * One throwaway PostgreSQL server per test run, from the system binaries (Debian's
 * `postgresql` package; scripts/setup.sh installs it), started by scripts/pg-server.mjs.
 * Tests get its URL with `inject('postgresUrl')` and isolate themselves with `tempDatabase()`
 * (packages/agent/src/test-support/postgres.ts). A missing server fails the run: a silently
 * skipped PostgreSQL suite would let PostgreSQL regressions through.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication, no password. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  // Throws with an installation hint when the binaries (or, as root, the postgres user) are
  // missing; stops the server itself if the process exits without running the teardown.
  // pg_stat_statements (part of Debian's postgresql package) preloaded, so the schema advisor's
  // tests can read statement statistics as on a server that has it; each database opts in
  // with CREATE EXTENSION, as a real one does.
  const bin = findPgBin();
  const statements = existsSync(join(bin, '..', 'lib', 'pg_stat_statements.so'));
  const server = await startPostgres(
    statements ? { extraConf: { shared_preload_libraries: 'pg_stat_statements' } } : {},
  );
  project.provide('postgresUrl', server.url);
  return server.stop;
}
