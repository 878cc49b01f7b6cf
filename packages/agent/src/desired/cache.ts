import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize, type Digest, digest, type SchemaModel, schemaModelSchema } from '@isotyp/protocol';
import { canonicalSchemaDigest } from '../schema/schema-digest.js';
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

/** The desired model, and its schema digest when it is known without digesting it again. */
export interface DesiredModel {
  model: SchemaModel;
  cached: boolean;
  digest?: Digest<'schema'>;
}

/**
 * An entry is the canonical JSON `{"digest":"sha256:…","model":<canonical model>}`: the model's
 * canonical text is stored as it was digested, so reading the entry back yields the digest
 * with the model — checked by hashing that text again (native SHA-256, milliseconds), which
 * also catches any damage to the entry — instead of canonicalising the model once more.
 */
const ENTRY = /^\{"digest":"(sha256:[0-9a-f]{64})","model":/;

/**
 * The cached model for `key`, or the freshly loaded one (then cached). A damaged entry is
 * reloaded. With a cache directory the model comes with its schema digest.
 */
export async function cachedDesired(
  dir: string | undefined,
  key: DesiredCacheKey,
  load: () => Promise<SchemaModel>,
): Promise<DesiredModel> {
  if (dir === undefined) return { model: await load(), cached: false };
  const path = join(dir, `${desiredCacheKey(key)}.json`);
  const entry = readEntry(path);
  if (entry !== undefined) return { ...entry, cached: true };
  const model = await load();
  const text = canonicalize(model);
  const modelDigest = canonicalSchemaDigest(text);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `{"digest":"${modelDigest}","model":${text}}`, { mode: 0o600 });
  renameSync(temp, path);
  return { model, cached: false, digest: modelDigest };
}

/** The model and digest stored at `path`, or undefined when missing, unreadable or damaged. */
function readEntry(path: string): { model: SchemaModel; digest: Digest<'schema'> } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const header = ENTRY.exec(text.slice(0, 100));
  if (header === null || !text.endsWith('}')) return undefined;
  const modelText = text.slice(header[0].length, -1);
  const stored = header[1] as Digest<'schema'>;
  // The text is exactly what was digested, so it is canonical, and JSON.parse gives back the
  // model it was made from (schemaModelSchema only checks: no defaults, no transforms). Its
  // digest is the stored one (schema-digest.test.ts checks that way back).
  if (canonicalSchemaDigest(modelText) !== stored) return undefined;
  try {
    const parsed = schemaModelSchema.safeParse(JSON.parse(modelText));
    return parsed.success ? { model: parsed.data, digest: stored } : undefined;
  } catch {
    return undefined;
  }
}
