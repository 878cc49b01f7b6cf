import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import { queryRows, runSql, tempDatabase } from '../test-support/postgres.js';
import { chinookPostgresSql, pagilaSql } from '../test-support/postgres-fixtures.js';
import { CHINOOK_SQL, tempSqlite } from '../test-support/temp-sqlite.js';
import { type ConformanceHarness, type ConformanceTarget, introspectionConformance } from './conformance.js';
import { lifecycleConformance } from './conformance-lifecycle.js';
import type { Dialect } from './dialect.js';
import { postgresDialect } from './postgres/index.js';
import { sqliteDialect } from './sqlite/index.js';

async function introspectWith<T>(dialect: Dialect<T>, target: T) {
  const connection = await dialect.connect(target);
  try {
    return await connection.introspect();
  } finally {
    await connection.close();
  }
}

const sqlite: ConformanceHarness = {
  dialect: 'sqlite',
  async fresh(sql: string): Promise<ConformanceTarget> {
    const path = tempSqlite(sql);
    return {
      url: `sqlite:${path}`,
      async scalar(query: string) {
        const db = new Database(path, { readonly: true });
        try {
          return String(db.prepare(query).pluck().get());
        } finally {
          db.close();
        }
      },
      introspect: () => introspectWith(sqliteDialect, { path }),
      async exec(more: string) {
        const db = new Database(path);
        try {
          db.exec(more);
        } finally {
          db.close();
        }
      },
    };
  },
  fixtures: [{ name: 'Chinook', sql: readFileSync(CHINOOK_SQL, 'utf8') }],
};

const postgres: ConformanceHarness = {
  dialect: 'postgres',
  async fresh(sql: string): Promise<ConformanceTarget> {
    const db = await tempDatabase(sql);
    return {
      url: db.url,
      async scalar(query: string) {
        const [row] = await queryRows<Record<string, unknown>>(db.url, query);
        return String(Object.values(row ?? {})[0]);
      },
      introspect: () => introspectWith(postgresDialect, { url: db.url }),
      exec: (more: string) => runSql(db.url, more),
    };
  },
  fixtures: [
    { name: 'Chinook', sql: chinookPostgresSql() },
    { name: 'Pagila', sql: pagilaSql() },
  ],
};

for (const harness of [sqlite, postgres]) {
  describe(`introspection conformance: ${harness.dialect}`, () => {
    for (const c of introspectionConformance(harness)) it(c.name, c.run);
  });
  describe(`change conformance: ${harness.dialect}`, () => {
    for (const c of lifecycleConformance(harness)) it(c.name, c.run);
  });
}
