import { describe, expect, it } from 'vitest';
import { prepareScript } from './load-script.js';
import { blankOut, lineOfPosition, outlineScript } from './sql-script.js';

describe('schema file outline', () => {
  it('finds psql meta-commands only outside strings, identifiers, comments and dollar quotes', () => {
    const sql = [
      "SELECT 'a \\c b';", // 1: inside a string
      "SELECT E'it\\'s \\n';", // 2: escaped quote in an E'' string
      '-- \\c in a comment', // 3
      '/* nested /* \\c */ still comment */', // 4
      'CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$', // 5
      '\\not a meta command, function body', // 6
      '$body$;', // 7
      'SELECT "odd\\name";', // 8
      '\\c chinook', // 9: a real one
      '  \\set x 1', // 10: indented, still one
    ].join('\n');
    expect(outlineScript(sql).metaCommands.map((m) => [m.line, m.text])).toEqual([
      [9, '\\c chinook'],
      [10, '\\set x 1'],
    ]);
  });

  it('records the line each statement starts on, skipping empty ones and comments', () => {
    const sql = [
      '-- header', // 1
      'CREATE TABLE a (', // 2
      '  id int', // 3
      ');', // 4
      ';', // 5: empty statement
      '', // 6
      "/* c */ INSERT INTO a VALUES (1); SELECT ';';", // 7: two statements
      'CREATE RULE r AS ON INSERT TO a DO ALSO (SELECT 1; SELECT 2);', // 8: ; inside parentheses
      'SELECT 3', // 9: no trailing semicolon
    ].join('\n');
    expect(outlineScript(sql).statementLines).toEqual([2, 7, 7, 8, 9]);
  });

  it('keeps SQL-standard function bodies (BEGIN ATOMIC … END) in one statement, as psql does', () => {
    const sql = [
      'CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql', // 1
      'BEGIN ATOMIC', // 2
      '  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;', // 3
      '  SELECT a;', // 4
      'END;', // 5
      'BEGIN;', // 6: a transaction, not a body
      'COMMIT;', // 7
    ].join('\n');
    expect(outlineScript(sql).statementLines).toEqual([1, 6, 7]);
  });

  it('turns a server position (characters, from 1) into a line, past multi-byte characters', () => {
    const sql = "SELECT '𝄞é';\nSELECT 1;\nSELEC 2;";
    const position = [...sql].indexOf('S', 14) + 1;
    expect(lineOfPosition(sql, position)).toBe(3);
    expect(lineOfPosition(sql, 1)).toBe(1);
  });

  it('blanks ranges without moving the characters after them', () => {
    const sql = '\\restrict kéy\nSELECT 1;';
    const blanked = blankOut(sql, [{ start: 0, end: 13 }]);
    expect([...blanked].length).toBe([...sql].length);
    expect(blanked.endsWith('\nSELECT 1;')).toBe(true);
    expect(blanked.trim()).toBe('SELECT 1;');
  });
});

describe('prepareScript', () => {
  it('refuses a psql meta-command, naming the file and line', () => {
    expect(() => prepareScript('CREATE TABLE a (id int);\n\n\\c other\n', 'schema.sql')).toThrow(
      expect.objectContaining({
        code: 'ISOTYP_SCHEMA_LOAD_FAILED',
        message: 'schema.sql:3: "\\c other" is a psql meta-command, not SQL, and cannot be loaded.',
        details: { file: 'schema.sql', line: 3, metaCommandLines: [3] },
      }),
    );
  });

  it("lets pg_dump's \\restrict guard through, blanked", () => {
    const script = prepareScript('\\restrict abc123\nCREATE TABLE a (id int);\n\\unrestrict abc123\n', 'dump.sql');
    expect(script.sql).not.toContain('restrict');
    expect(script.statementLines).toEqual([2]);
  });
});
