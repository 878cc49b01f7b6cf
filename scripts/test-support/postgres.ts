import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/*
 * Per-file isolation on the one PostgreSQL server the run starts
 * (scripts/vitest-postgres-setup.ts): each test gets databases of its own, dropped after the
 * file finishes, so test files can run in parallel without seeing each other's objects.
 */

export interface TempDatabase {
  /** `postgres://postgres@127.0.0.1:<port>/<name>` (trust authentication, no password). */
  url: string;
  name: string;
  /** Drops the database now (also done for every database left at the end of the file). */
  drop(): Promise<void>;
}

const created = new Set<string>();

afterAll(async () => {
  const names = [...created];
  created.clear();
  if (names.length === 0) return;
  await withAdmin(async (client) => {
    for (const name of names) await dropDatabase(client, name);
  });
});

/** The test server's URL for the maintenance database `postgres`. */
export function postgresServerUrl(): string {
  return inject('postgresUrl');
}

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(postgresServerUrl());
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/**
 * A new, empty database with a unique name on the test server.
 *
 * @example
 * const db = await tempDatabase();
 * await runSql(db.url, 'CREATE TABLE t (id int)');
 */
export async function tempDatabase(sql?: string): Promise<TempDatabase> {
  const name = `isotyp_test_${randomBytes(6).toString('hex')}`;
  // template0 is pristine: nothing another test (or the server's owner) put in template1.
  await withAdmin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  created.add(name);
  const url = databaseUrl(name);
  if (sql !== undefined) await runSql(url, sql);
  return {
    url,
    name,
    async drop() {
      created.delete(name);
      await withAdmin((client) => dropDatabase(client, name));
    },
  };
}

/** Runs `sql` (any number of statements) on the database at `url`. */
export async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Rows of one query on the database at `url`. */
export async function queryRows<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Names of the databases on the test server that start with `prefix`. */
export async function databasesNamed(prefix: string): Promise<string[]> {
  const rows = await queryRows<{ datname: string }>(
    postgresServerUrl(),
    `SELECT datname FROM pg_database WHERE starts_with(datname, '${prefix.replaceAll("'", "''")}') ORDER BY 1`,
  );
  return rows.map((r) => r.datname);
}

async function withAdmin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresServerUrl() });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  // FORCE: a test that failed half-way may have left a connection open.
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
