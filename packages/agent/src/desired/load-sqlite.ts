import { IsotypError, type SchemaModel } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { closingParen, isWord, type Token, tokenize } from '../dialects/sqlite/ddl-text.js';
import { introspectSqlite } from '../dialects/sqlite/introspect.js';
import type { SchemaFile } from './schema-source.js';

/**
 * The desired state for SQLite: the files run, in order, in a fresh in-memory database, which
 * is then introspected exactly like a live one. SQLite alone decides what the SQL means.
 */
export function loadDesiredSqlite(files: SchemaFile[]): SchemaModel {
  const db = new Database(':memory:');
  try {
    for (const file of files) {
      try {
        db.exec(file.text);
      } catch (error) {
        throw locateFailure(files, file, error);
      }
    }
    return introspectSqlite(db);
  } finally {
    db.close();
  }
}

/**
 * SQLite's error does not say where it happened. Replay the file statement by statement in a
 * fresh database (after the files before it) to find the line of the statement that fails.
 */
function locateFailure(files: SchemaFile[], failing: SchemaFile, error: unknown): IsotypError {
  const reason = error instanceof Error ? error.message : String(error);
  let line: number | null = null;
  const replay = new Database(':memory:');
  try {
    for (const file of files) {
      if (file === failing) break;
      replay.exec(file.text);
    }
    for (const statement of splitStatements(failing.text)) {
      try {
        replay.exec(statement.sql);
      } catch {
        line = statement.line;
        break;
      }
    }
  } catch {
    // Replay is best effort: the file name and SQLite's message are reported regardless.
  } finally {
    replay.close();
  }
  const where = line === null ? failing.name : `${failing.name}:${line}`;
  return new IsotypError('ISOTYP_SCHEMA_LOAD_FAILED', `${where}: ${reason}`, {
    hint: 'Fix the statement; nothing was planned or applied.',
    details: { file: failing.name, line, databaseMessage: reason },
    cause: error,
  });
}

/** Statements of a script with their first line, split at top-level semicolons. */
export function splitStatements(sql: string): { sql: string; line: number }[] {
  const tokens = tokenize(sql);
  const out: { sql: string; line: number }[] = [];
  let start = 0;
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    if (isWord(t, 'BEGIN') && isTriggerBody(tokens, start, i)) {
      i = endOfTriggerBody(tokens, i);
      continue;
    }
    if (t.kind === 'punct' && t.text === '(') {
      i = closingParen(tokens, i) + 1;
      continue;
    }
    if (t.kind === 'punct' && t.text === ';') {
      pushStatement(sql, tokens, start, i, out);
      start = i + 1;
    }
    i++;
  }
  pushStatement(sql, tokens, start, tokens.length, out);
  return out;
}

function pushStatement(sql: string, tokens: Token[], from: number, to: number, out: { sql: string; line: number }[]) {
  const first = tokens[from];
  if (first === undefined || from >= to) return;
  const end = (tokens[to] ?? tokens[to - 1]) as Token;
  const text = sql.slice(first.start, end.end);
  out.push({ sql: text, line: sql.slice(0, first.start).split('\n').length });
}

function isTriggerBody(tokens: Token[], start: number, at: number): boolean {
  return tokens.slice(start, at).some((t) => isWord(t, 'TRIGGER'));
}

/** Index just past the END that closes a trigger body (CASE … END nests inside it). */
function endOfTriggerBody(tokens: Token[], begin: number): number {
  let depth = 0;
  for (let i = begin; i < tokens.length; i++) {
    const t = tokens[i];
    if (isWord(t, 'BEGIN', 'CASE')) depth++;
    else if (isWord(t, 'END') && --depth === 0) return i + 1;
  }
  return tokens.length;
}
