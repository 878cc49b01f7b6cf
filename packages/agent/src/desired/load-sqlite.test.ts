import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaDigest } from '../schema/schema-digest.js';
import { loadDesiredSqlite, splitStatements } from './load-sqlite.js';
import { parseDirectives, readSchemaSource } from './schema-source.js';

function dir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'isotyp-schema-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('desired state on SQLite', () => {
  it('loads a directory of .sql files in path order and introspects it', () => {
    const root = dir({
      '02_views.sql': 'CREATE VIEW v AS SELECT id FROM t;',
      '01_tables.sql': 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);',
      'notes.txt': 'not sql',
    });
    const files = readSchemaSource(root);
    expect(files.map((f) => f.name)).toEqual(['01_tables.sql', '02_views.sql']);
    const model = loadDesiredSqlite(files);
    expect(model.namespaces[0]?.tables.map((t) => t.name)).toEqual(['t']);
    expect(model.namespaces[0]?.views.map((v) => v.name)).toEqual(['v']);
    expect(schemaDigest(loadDesiredSqlite(readSchemaSource(root)))).toBe(schemaDigest(model));
  });

  it('names the file, the line and SQLite’s message when a statement fails', () => {
    const root = dir({
      'schema.sql': [
        'CREATE TABLE a (id INTEGER PRIMARY KEY);',
        '',
        'CREATE TRIGGER t AFTER INSERT ON a BEGIN',
        '  SELECT CASE WHEN 1 THEN 1 END; SELECT 2;',
        'END;',
        '-- a comment; with a semicolon',
        "CREATE TABLE b (id INTEGER, note TEXT DEFAULT 'x;y');",
        'CREATE TABLE b (id INTEGER);',
      ].join('\n'),
    });
    expect(() => loadDesiredSqlite(readSchemaSource(join(root, 'schema.sql')))).toThrow(
      expect.objectContaining({
        code: 'ISOTYP_SCHEMA_LOAD_FAILED',
        message: expect.stringMatching(/schema\.sql:8: table b already exists$/),
      }),
    );
  });

  it('splits statements at top-level semicolons only', () => {
    const parts = splitStatements(
      "CREATE TABLE x (a TEXT DEFAULT ';');\nCREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;\nSELECT 1",
    );
    expect(parts.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(parts[1]?.sql).toBe('CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;');
  });

  it('reads rename and lint-ignore directives and refuses unknown ones', () => {
    const directives = parseDirectives([
      {
        name: 's.sql',
        text: '-- isotyp:rename table "Artist" to "Performer"\n--isotyp:rename column Album.Title to "Na""me"\n-- isotyp:lint-ignore destructive/drop-column Genre.Name\n',
      },
    ]);
    expect(directives.lintIgnores).toEqual([{ code: 'destructive/drop-column', object: 'Genre.Name' }]);
    expect(directives.renames).toEqual([
      { kind: 'table', from: 'Artist', to: 'Performer' },
      { kind: 'column', table: 'Album', from: 'Title', to: 'Na"me' },
    ]);
    expect(() => parseDirectives([{ name: 's.sql', text: '\n-- isotyp:drop everything' }])).toThrow(
      expect.objectContaining({ code: 'ISOTYP_SCHEMA_LOAD_FAILED', message: expect.stringContaining('s.sql:2') }),
    );
  });

  it('explains a missing or empty schema path', () => {
    expect(() => readSchemaSource('/nonexistent/schema.sql')).toThrow(
      expect.objectContaining({ code: 'ISOTYP_FILE_NOT_FOUND' }),
    );
    expect(() => readSchemaSource(dir({ 'a.txt': '' }))).toThrow(
      expect.objectContaining({ code: 'ISOTYP_FILE_NOT_FOUND' }),
    );
  });
});
