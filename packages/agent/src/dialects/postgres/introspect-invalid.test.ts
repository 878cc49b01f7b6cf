import { describe, expect, it } from 'vitest';
import { schemaDigest } from '../../schema/schema-digest.js';
import { runSql, tempDatabase } from '../../test-support/postgres.js';
import { postgresDialect } from './index.js';

async function introspect(url: string) {
  const connection = await postgresDialect.connect({ url });
  try {
    return await connection.introspect();
  } finally {
    await connection.close();
  }
}

describe('an INVALID index left by a failed concurrent build', () => {
  it('is marked invalid, so it does not digest like a working index', async () => {
    const db = await tempDatabase('CREATE TABLE t (id int, email text); INSERT INTO t VALUES (1, $$a$$), (2, $$a$$);');
    try {
      await expect(runSql(db.url, 'CREATE UNIQUE INDEX CONCURRENTLY t_email ON t (email)')).rejects.toThrow();
      const broken = await introspect(db.url);
      expect(broken.namespaces[0]?.tables[0]?.indexes[0]).toMatchObject({ name: 't_email', invalid: true });

      await runSql(
        db.url,
        "DROP INDEX t_email; UPDATE t SET email = 'b' WHERE id = 2; CREATE UNIQUE INDEX t_email ON t (email)",
      );
      const healthy = await introspect(db.url);
      expect(healthy.namespaces[0]?.tables[0]?.indexes[0]?.invalid).toBeUndefined();
      expect(schemaDigest(healthy)).not.toBe(schemaDigest(broken));
    } finally {
      await db.drop();
    }
  });
});
