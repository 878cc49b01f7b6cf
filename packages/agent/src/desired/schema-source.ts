import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import type { RenameHint } from '../diff/changes.js';

/** Desired-state files larger than this in total are refused rather than loaded. */
export const MAX_SCHEMA_BYTES = 64 * 1024 * 1024;

export interface SchemaFile {
  /** Path as given or relative to the directory, for error messages. */
  name: string;
  text: string;
}

/**
 * Reads `--schema`: one .sql file, or every .sql file under a directory in path order (so
 * `01_tables.sql` runs before `02_views.sql`).
 */
export function readSchemaSource(path: string): SchemaFile[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', `The schema ${path} does not exist.`, {
      hint: 'Pass --schema with a .sql file or a directory of .sql files.',
    });
  }
  const paths = stat.isDirectory() ? sqlFilesUnder(path) : [path];
  if (paths.length === 0) {
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', `The directory ${path} holds no .sql files.`, {
      hint: 'Put the desired state in files ending in .sql.',
    });
  }
  let total = 0;
  return paths.map((file) => {
    total += statSync(file).size;
    if (total > MAX_SCHEMA_BYTES) {
      throw new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', `The schema under ${path} is larger than 64 MiB.`, {
        hint: 'A desired-state schema holds DDL only; load data separately.',
      });
    }
    return { name: stat.isDirectory() ? relative(path, file) : file, text: readFileSync(file, 'utf8') };
  });
}

function sqlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const IDENT = `(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))`;
const RENAME_TABLE = new RegExp(String.raw`^--\s*isotyp:rename\s+table\s+${IDENT}\s+to\s+${IDENT}\s*$`, 'i');
const RENAME_COLUMN = new RegExp(
  String.raw`^--\s*isotyp:rename\s+column\s+${IDENT}\.${IDENT}\s+to\s+${IDENT}\s*$`,
  'i',
);

const LINT_IGNORE = /^--\s*isotyp:lint-ignore\s+([a-z]+(?:[-/][a-z0-9]+)*)(?:\s+(\S+))?\s*$/i;

export interface Directives {
  renames: RenameHint[];
  lintIgnores: { code: string; object?: string }[];
}

/**
 * Directives written as comments in the schema files. They only tell Isotyp which objects are
 * the same or which findings are accepted; SQLite or PostgreSQL still decides what the SQL means.
 *
 * - `-- isotyp:rename table "Artist" to "Performer"`
 * - `-- isotyp:rename column "Album"."Title" to "Name"` (the table as named in the desired state)
 * - `-- isotyp:lint-ignore destructive/drop-column [Album.Title]`
 */
export function parseDirectives(files: SchemaFile[]): Directives {
  const directives: Directives = { renames: [], lintIgnores: [] };
  for (const file of files) {
    for (const [index, line] of file.text.split('\n').entries()) {
      const trimmed = line.trim();
      if (!/^--\s*isotyp:/i.test(trimmed)) continue;
      const table = RENAME_TABLE.exec(trimmed);
      const column = RENAME_COLUMN.exec(trimmed);
      const ignore = LINT_IGNORE.exec(trimmed);
      if (table) {
        directives.renames.push({ kind: 'table', from: ident(table, 1), to: ident(table, 3) });
      } else if (column) {
        directives.renames.push({
          kind: 'column',
          table: ident(column, 1),
          from: ident(column, 3),
          to: ident(column, 5),
        });
      } else if (ignore) {
        const code = (ignore[1] as string).toLowerCase();
        directives.lintIgnores.push(ignore[2] === undefined ? { code } : { code, object: ignore[2] });
      } else {
        throw new IsotypError(
          'ISOTYP_SCHEMA_LOAD_FAILED',
          `${file.name}:${index + 1}: unknown directive "${trimmed}".`,
          {
            hint: 'Directives: -- isotyp:rename table OLD to NEW · -- isotyp:rename column TABLE.OLD to NEW · -- isotyp:lint-ignore CODE [OBJECT].',
          },
        );
      }
    }
  }
  return directives;
}

function ident(match: RegExpExecArray, at: number): string {
  const quoted = match[at];
  return quoted === undefined ? (match[at + 1] as string) : quoted.replaceAll('""', '"');
}
