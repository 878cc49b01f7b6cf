import { type Digest, IsotypError, type SchemaModel } from '@isotyp/protocol';
import type { DialectConnection } from './dialects/dialect.js';
import { postgresDialect } from './dialects/postgres/index.js';
import { sqliteDialect } from './dialects/sqlite/index.js';
import { schemaDigest, summarizeModel } from './schema/schema-digest.js';
import { parseTargetUrl } from './target/target-url.js';

export interface InspectResult {
  /** The target with any password redacted. */
  target: string;
  dialect: SchemaModel['dialect'];
  digest: Digest<'schema'>;
  counts: Record<string, number>;
  model: SchemaModel;
}

/** Connects to a target URL with the dialect it names. */
export async function connectTarget(url: string): Promise<DialectConnection> {
  const target = parseTargetUrl(url);
  switch (target.dialect) {
    case 'sqlite':
      return sqliteDialect.connect({ path: target.path, readonly: true });
    case 'postgres':
      // The password comes from the URL or, as with libpq, from PGPASSWORD (read by the driver).
      return postgresDialect.connect({ url: target.url });
    default: {
      const never: never = target;
      throw new IsotypError('ISOTYP_TARGET_INVALID', `Unsupported target ${String(never)}.`);
    }
  }
}

/**
 * Reads a live database into the neutral model and digests it.
 *
 * @example
 * const { digest, counts } = await inspectTarget('sqlite:./chinook.db');
 */
export async function inspectTarget(url: string): Promise<InspectResult> {
  const target = parseTargetUrl(url);
  const connection = await connectTarget(url);
  try {
    const model = await connection.introspect();
    return {
      target: target.display,
      dialect: model.dialect,
      digest: schemaDigest(model),
      counts: summarizeModel(model),
      model,
    };
  } finally {
    await connection.close();
  }
}
