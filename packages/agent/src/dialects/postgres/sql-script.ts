/*
 * What Isotyp needs to know about a schema file before PostgreSQL sees it: where psql
 * meta-commands are (they are not SQL and the server cannot run them) and on which line each
 * statement starts (to name the line of an error the server reports without a position). This
 * is a scanner, not a parser: it follows quotes, dollar quotes and comments the way psql's own
 * lexer does and leaves what the statements mean to the server.
 */

export interface MetaCommand {
  /** 1-based line. */
  line: number;
  /** The command as written, up to the end of its line, e.g. `\c chinook;`. */
  text: string;
  /** UTF-16 offsets of the command within the script. */
  start: number;
  end: number;
}

export interface ScriptOutline {
  metaCommands: MetaCommand[];
  /** 1-based line on which each non-empty statement starts, in order. */
  statementLines: number[];
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** Scans `sql` once; see the module comment. */
export function outlineScript(sql: string): ScriptOutline {
  const metaCommands: MetaCommand[] = [];
  const statementLines: number[] = [];
  let line = 1;
  let i = 0;
  let inStatement = false;
  let parenDepth = 0;
  // psql's heuristic for SQL-standard bodies (CREATE FUNCTION … BEGIN ATOMIC … END): inside
  // CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN and CASE open a block and END closes one.
  let words: string[] = [];
  let beginDepth = 0;

  const skipTo = (end: number): void => {
    for (let k = i; k < end; k++) if (sql.charCodeAt(k) === 10) line++;
    i = end;
  };
  const startStatement = (): void => {
    if (!inStatement) {
      inStatement = true;
      statementLines.push(line);
    }
  };

  while (i < sql.length) {
    const c = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === '/' && next === '*') {
      skipTo(blockCommentEnd(sql, i));
    } else if (c === '\\') {
      const nl = sql.indexOf('\n', i);
      const end = nl < 0 ? sql.length : nl;
      metaCommands.push({ line, text: sql.slice(i, end).trimEnd(), start: i, end });
      i = end;
    } else if (c === "'") {
      startStatement();
      const escapes = /^[Ee]$/.test(words.at(-1) ?? '') && sql.charAt(i - 1).toUpperCase() === 'E';
      skipTo(quotedEnd(sql, i, "'", escapes));
    } else if (c === '"') {
      startStatement();
      skipTo(quotedEnd(sql, i, '"', false));
    } else if (c === '$' && DOLLAR_TAG.test(sql.slice(i, i + 64)) && !WORD_PART.test(sql.charAt(i - 1))) {
      startStatement();
      const tag = (DOLLAR_TAG.exec(sql.slice(i, i + 64)) as RegExpExecArray)[0];
      const close = sql.indexOf(tag, i + tag.length);
      skipTo(close < 0 ? sql.length : close + tag.length);
    } else if (WORD_START.test(c)) {
      startStatement();
      let end = i + 1;
      while (end < sql.length && WORD_PART.test(sql.charAt(end))) end++;
      const word = sql.slice(i, end).toUpperCase();
      words.push(word);
      if (parenDepth === 0 && isRoutineDefinition(words)) {
        if (word === 'BEGIN' || (word === 'CASE' && beginDepth > 0)) beginDepth++;
        else if (word === 'END' && beginDepth > 0) beginDepth--;
      }
      i = end;
    } else if (c === ';' && parenDepth === 0 && beginDepth === 0) {
      inStatement = false;
      words = [];
      i++;
    } else {
      startStatement();
      if (c === '(') parenDepth++;
      if (c === ')' && parenDepth > 0) parenDepth--;
      i++;
    }
  }
  return { metaCommands, statementLines };
}

function isRoutineDefinition(words: string[]): boolean {
  const [a, b, c, d] = words;
  if (a !== 'CREATE') return false;
  const kind = b === 'OR' && c === 'REPLACE' ? d : b;
  return kind === 'FUNCTION' || kind === 'PROCEDURE';
}

function blockCommentEnd(sql: string, start: number): number {
  // PostgreSQL block comments nest.
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql.charAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/**
 * The 1-based line of a server error position: PostgreSQL counts characters (code points)
 * from 1, JavaScript strings count UTF-16 units.
 */
export function lineOfPosition(sql: string, position: number): number {
  let line = 1;
  let seen = 0;
  for (const ch of sql) {
    if (++seen >= position) break;
    if (ch === '\n') line++;
  }
  return line;
}

/** `sql` with the given ranges replaced by spaces, so server positions still line up. */
export function blankOut(sql: string, ranges: { start: number; end: number }[]): string {
  let out = '';
  let from = 0;
  for (const { start, end } of [...ranges].sort((a, b) => a.start - b.start)) {
    out += sql.slice(from, start) + ' '.repeat([...sql.slice(start, end)].length);
    from = end;
  }
  return out + sql.slice(from);
}
