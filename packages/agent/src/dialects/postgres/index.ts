import type { SchemaModel } from '@isotyp/protocol';
import type { Dialect, DialectConnection } from '../dialect.js';
import { openPostgres, type PostgresTarget } from './client.js';
import { introspectPostgres } from './introspect.js';
import { readRowCounts } from './row-counts.js';

export { connectionError, openPostgres, type PostgresTarget } from './client.js';
export { type IntrospectOptions, introspectPostgres } from './introspect.js';
export { readRowCounts } from './row-counts.js';
export { type DesiredFile, type LoadDesiredOptions, loadDesiredPostgres } from './scratch.js';

/**
 * PostgreSQL through `pg`: DDL is transactional, objects live in named schemas, and ALTER
 * COLUMN … TYPE changes a column in place.
 *
 * @example
 * const connection = await postgresDialect.connect({ url: 'postgres://isotyp@db/app' });
 * const model = await connection.introspect();
 * await connection.close();
 */
export const postgresDialect: Dialect<PostgresTarget> = {
  name: 'postgres',
  capabilities: { transactionalDdl: true, namespaces: true, alterColumnType: true },
  async connect(target: PostgresTarget): Promise<DialectConnection> {
    const client = await openPostgres(target);
    return {
      async introspect(): Promise<SchemaModel> {
        return introspectPostgres(client);
      },
      async serverVersion(): Promise<string> {
        return (
          (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v ?? ''
        );
      },
      async rowCounts(): Promise<Map<string, number>> {
        return readRowCounts(client);
      },
      async close(): Promise<void> {
        await client.end();
      },
    };
  },
};
