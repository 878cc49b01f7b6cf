import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digest, type SchemaModel, schemaModelSchema } from '@isotyp/protocol';
import type { SchemaFile } from './schema-source.js';

/**
 * Loading a large schema file into a scratch PostgreSQL database takes seconds (thousands of
 * DDL statements); introspecting the result gives the same model every time for the same
 * files on the same server version. The model — schema metadata only, never rows — is cached
 * under the agent's state directory, keyed by everything that decides it.
 */
export interface DesiredCacheKey {
  files: SchemaFile[];
  dialect: SchemaModel['dialect'];
  /** e.g. PostgreSQL's server_version_num: a new server may print definitions differently. */
  serverVersion: string;
  /** The agent's version: a new introspector may fill the model differently. */
  agentVersion: string;
}

export function desiredCacheKey(key: DesiredCacheKey): string {
  return digest('schema', {
    cache: 'desired-model',
    dialect: key.dialect,
    serverVersion: key.serverVersion,
    agentVersion: key.agentVersion,
    files: key.files.map((f) => [f.name, f.text]),
  }).slice('sha256:'.length);
}

/** The cached model for `key`, or the freshly loaded one (then cached). A damaged entry is reloaded. */
export async function cachedDesired(
  dir: string | undefined,
  key: DesiredCacheKey,
  load: () => Promise<SchemaModel>,
): Promise<{ model: SchemaModel; cached: boolean }> {
  if (dir === undefined) return { model: await load(), cached: false };
  const path = join(dir, `${desiredCacheKey(key)}.json`);
  try {
    const parsed = schemaModelSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return { model: parsed.data, cached: true };
  } catch {
    // Missing or unreadable: load below.
  }
  const model = await load();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(model), { mode: 0o600 });
  renameSync(temp, path);
  return { model, cached: false };
}
