import { randomBytes } from 'node:crypto';
import { canonicalize, type SchemaModel } from '@isotyp/protocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { schemaDigest } from '../../schema/schema-digest.js';
import { databasesNamed, databaseUrl, postgresServerUrl, runSql, tempDatabase } from '../../test-support/postgres.js';
import { CHINOOK_POSTGRES_SQL, chinookPostgresSql, pagilaSql } from '../../test-support/postgres-fixtures.js';
import { postgresDialect } from './index.js';
import { loadDesiredPostgres } from './scratch.js';

/*
 * This is the only test file that creates scratch databases on the shared test server, so
 * "no isotyp_scratch_* database is left" cannot be disturbed by another file running at the
 * same time.
 */

async function introspect(url: string): Promise<SchemaModel> {
  const connection = await postgresDialect.connect({ url });
  try {
    return await connection.introspect();
  } finally {
    await connection.close();
  }
}

const load = (sql: string, fileName = 'schema.sql', devUrl?: string): Promise<SchemaModel> =>
  loadDesiredPostgres(sql, { serverUrl: postgresServerUrl(), fileName, ...(devUrl ? { devUrl } : {}) });

afterEach(async () => {
  expect(await databasesNamed('isotyp_scratch_')).toEqual([]);
});

describe('desired state from a PostgreSQL schema file', () => {
  it('loads Pagila and Chinook to the same model as a live database built from the same file', async () => {
    const pagila = pagilaSql();
    const live = await tempDatabase(pagila);
    const desired = await load(pagila, 'schema.sql');
    expect(canonicalize(desired)).toBe(canonicalize(await introspect(live.url)));

    const chinook = chinookPostgresSql();
    const liveChinook = await tempDatabase(chinook);
    expect(schemaDigest(await load(chinook, 'chinook.sql'))).toBe(schemaDigest(await introspect(liveChinook.url)));
  });

  it('names the file, line and database message of a statement that fails, and drops the scratch database', async () => {
    const sql = 'CREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int,\n  price nmeric\n);\n';
    await expect(load(sql, 'db/schema.sql')).rejects.toMatchObject({
      code: 'ISOTYP_SCHEMA_LOAD_FAILED',
      message: 'db/schema.sql:5: type "nmeric" does not exist (SQLSTATE 42704).',
      hint: expect.stringContaining('db/schema.sql:5'),
      details: expect.objectContaining({ file: 'db/schema.sql', line: 5, sqlState: '42704' }),
    });
  });

  it('finds the line of an error the server reports without a position', async () => {
    const sql = '-- two tables\nCREATE TABLE a (id int);\n\n/* again */\nCREATE TABLE a (id int);\n';
    await expect(load(sql)).rejects.toMatchObject({
      code: 'ISOTYP_SCHEMA_LOAD_FAILED',
      message: 'schema.sql:5: relation "a" already exists (SQLSTATE 42P07).',
    });
    // Without a position the line is where the failing statement starts.
    const fk = 'CREATE TABLE a (id int);\nCREATE TABLE b (\n  id int,\n  a_id int REFERENCES missing (id)\n);\n';
    await expect(load(fk)).rejects.toMatchObject({
      message: 'schema.sql:2: relation "missing" does not exist (SQLSTATE 42P01).',
    });
  });

  it('refuses psql meta-commands before touching the server, naming the line', async () => {
    const { readFileSync } = await import('node:fs');
    await expect(load(readFileSync(CHINOOK_POSTGRES_SQL, 'utf8'), 'chinook.sql')).rejects.toMatchObject({
      code: 'ISOTYP_SCHEMA_LOAD_FAILED',
      message: expect.stringMatching(/^chinook\.sql:28: "\\c chinook;" is a psql meta-command/),
    });
  });

  it('refuses a file that leaves its transaction open', async () => {
    await expect(load('BEGIN;\nCREATE TABLE a (id int);\n')).rejects.toMatchObject({
      code: 'ISOTYP_SCHEMA_LOAD_FAILED',
      message: expect.stringContaining('leaves a transaction open'),
    });
  });

  it('runs several files in order and names the one that fails', async () => {
    const files = [
      { name: '01_types.sql', text: "CREATE TYPE mood AS ENUM ('ok');\n" },
      { name: '02_tables.sql', text: 'CREATE TABLE t (m mood);\nCREATE TABLE u (m moood);\n' },
    ];
    await expect(
      loadDesiredPostgres(files, { serverUrl: postgresServerUrl(), fileName: 'unused' }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/^02_tables\.sql:2: type "moood" does not exist/) });
    const ok = await loadDesiredPostgres(files.slice(0, 1), { serverUrl: postgresServerUrl(), fileName: 'unused' });
    expect(ok.namespaces.find((n) => n.name === 'public')?.enums.map((e) => e.name)).toEqual(['mood']);
  });
});

describe('desired state in a dev database (--dev-url)', () => {
  it('loads into an empty dev database, gives the scratch result, and leaves it empty', async () => {
    const dev = await tempDatabase();
    const empty = canonicalize(await introspect(dev.url));
    const pagila = pagilaSql();
    const viaDev = await load(pagila, 'schema.sql', dev.url);
    expect(canonicalize(viaDev)).toBe(canonicalize(await load(pagila)));
    expect(canonicalize(await introspect(dev.url))).toBe(empty);

    await expect(load('CREATE TABLE a (id int);\nCREATE TABLE a (id int);', 'bad.sql', dev.url)).rejects.toMatchObject({
      code: 'ISOTYP_SCHEMA_LOAD_FAILED',
      message: expect.stringMatching(/^bad\.sql:2: /),
    });
    expect(canonicalize(await introspect(dev.url))).toBe(empty);
  });

  it('refuses a dev database that is not empty, saying what is in it', async () => {
    const dev = await tempDatabase('CREATE SCHEMA app; CREATE TABLE app.t (id int);');
    await expect(load('CREATE TABLE a (id int);', 'schema.sql', dev.url)).rejects.toMatchObject({
      code: 'ISOTYP_CONFLICT',
      message: expect.stringContaining('is not empty: schema app, table app.t'),
    });
  });
});

describe('scratch database permissions', () => {
  const role = `isotyp_nocreate_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await runSql(postgresServerUrl(), `DROP ROLE IF EXISTS ${role}`);
  });

  it('explains that the user may not create databases and offers --dev-url', async () => {
    await runSql(postgresServerUrl(), `CREATE ROLE ${role} LOGIN NOCREATEDB`);
    const url = new URL(databaseUrl('postgres'));
    url.username = role;
    await expect(
      loadDesiredPostgres('CREATE TABLE a (id int);', { serverUrl: url.toString(), fileName: 'schema.sql' }),
    ).rejects.toMatchObject({ code: 'ISOTYP_FORBIDDEN', hint: expect.stringContaining('--dev-url') });
  });
});
