// Types for scripts/pg-server.mjs (plain JavaScript so the benchmarks can import it as it is),
// for TypeScript callers such as scripts/vitest-postgres-setup.ts.

export interface StartPostgresOptions {
  /** Listen on this port instead of a free one the kernel hands out. */
  port?: number;
  /** More settings, or overrides of the defaults, passed as `-c name=value`. */
  extraConf?: Record<string, string | number | boolean>;
  /** Stop the server and delete its data on SIGINT, SIGTERM and SIGHUP (for scripts). */
  stopOnSignals?: boolean;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication, no password. */
  url: string;
  port: number;
  /** The directory of the server's binaries (pg_dump, psql… of the same version). */
  bin: string;
  /** The data directory, deleted by stop(). */
  data: string;
  /** Stops the server and deletes its data; synchronous and idempotent. */
  stop(): void;
}

export function findPgBin(): string;
export function startPostgres(options?: StartPostgresOptions): Promise<PostgresServer>;
