import { type OnConflict, onConflictSchema } from '@isotyp/protocol';

/*
 * SQLite keeps some facts only in the CREATE text it stores in sqlite_schema: CHECK
 * expressions, generated-column expressions, index expressions and partial-index predicates.
 * This is not a SQL parser — SQLite has already parsed and accepted the text. It only splits
 * that text into tokens (respecting quotes and comments) so those clauses can be cut out
 * verbatim; what they mean is left to SQLite.
 */

export interface Token {
  /** `word` (keyword or bare identifier), `ident` (quoted identifier), `string`, `number`, `punct`. */
  kind: 'word' | 'ident' | 'string' | 'number' | 'punct';
  /** Source text of the token. */
  text: string;
  /** For words and identifiers: the name, unquoted. */
  value: string;
  start: number;
  end: number;
}

const CLOSERS: Record<string, string> = { '"': '"', '`': '`', '[': ']' };

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql.charAt(i + 1) === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql.charAt(i + 1) === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === "'") {
      const end = quotedEnd(sql, i, "'");
      tokens.push({ kind: 'string', text: sql.slice(i, end), value: sql.slice(i + 1, end - 1), start: i, end });
      i = end;
    } else if (c in CLOSERS) {
      const end = quotedEnd(sql, i, CLOSERS[c] as string);
      const inner = sql.slice(i + 1, end - 1);
      const value = c === '[' ? inner : inner.replaceAll(c + c, c);
      tokens.push({ kind: 'ident', text: sql.slice(i, end), value, start: i, end });
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql.charAt(end))) end++;
      const text = sql.slice(i, end);
      tokens.push({ kind: 'word', text, value: text, start: i, end });
      i = end;
    } else if (/[0-9.]/.test(c) && /[0-9]/.test(sql.charAt(i + (c === '.' ? 1 : 0)))) {
      let end = i + 1;
      while (end < sql.length && /[0-9A-Za-z_.]/.test(sql.charAt(end))) end++;
      tokens.push({ kind: 'number', text: sql.slice(i, end), value: sql.slice(i, end), start: i, end });
      i = end;
    } else {
      tokens.push({ kind: 'punct', text: c, value: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

function quotedEnd(sql: string, start: number, close: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql.charAt(i) === close) {
      // A doubled closing quote is an escaped quote, except for [brackets].
      if (close !== ']' && sql.charAt(i + 1) === close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token?.kind === 'word' && words.includes(token.value.toUpperCase());
}

/** Index of the token closing the parenthesis opened at `open`. */
export function closingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')' && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** Splits the tokens between parentheses `open` and its closer at top-level commas. */
export function splitItems(tokens: Token[], open: number): Token[][] {
  const close = closingParen(tokens, open);
  const items: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')') depth--;
    if (depth === 0 && t.kind === 'punct' && t.text === ',') {
      items.push(current);
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.length > 0) items.push(current);
  return items;
}

/** Source text spanning the given tokens, as written. */
export function sourceOf(sql: string, tokens: Token[]): string {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  return first === undefined || last === undefined ? '' : sql.slice(first.start, last.end);
}

/** The text inside the parentheses that follow token `at` (e.g. after CHECK or AS). */
export function parenthesisedAfter(sql: string, tokens: Token[], at: number): string | null {
  const open = tokens[at + 1];
  if (open?.kind !== 'punct' || open.text !== '(') return null;
  const close = closingParen(tokens, at + 1);
  return sql.slice(open.end, (tokens[close] as Token).start).trim();
}

export interface TableClauses {
  /** CHECK expressions, with the constraint name when one was given. */
  checks: { name: string | null; column: string | null; expression: string }[];
  /** Generated column expressions by column name. */
  generated: Map<string, string>;
  /** Constraint name given to the primary key. */
  primaryKeyName: string | null;
  /** Declared collations by column name. */
  collations: Map<string, string>;
  /** Foreign keys as written: what pragma foreign_key_list does not report. */
  foreignKeys: {
    name: string | null;
    columns: string[];
    refTable: string;
    deferrable: boolean;
    initiallyDeferred: boolean;
  }[];
  /** True when a column is declared AUTOINCREMENT. */
  autoincrement: boolean;
  /**
   * ON CONFLICT clauses other than the default ABORT, lower-cased: of NOT NULL by column, of
   * the primary key, and of each UNIQUE constraint by its columns as written. SQLite parses
   * one on a CHECK too but discards it, so it is not collected.
   */
  onConflict: {
    notNull: Map<string, OnConflict>;
    primaryKey: OnConflict | null;
    uniques: { columns: string[]; onConflict: OnConflict }[];
  };
}

const RESOLUTIONS: ReadonlySet<string> = new Set(onConflictSchema.options);

/** Cuts CHECK, GENERATED … AS (…) and the PRIMARY KEY name out of a CREATE TABLE text. */
export function tableClauses(sql: string): TableClauses {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.kind === 'punct' && t.text === '(');
  const result: TableClauses = {
    checks: [],
    generated: new Map(),
    primaryKeyName: null,
    collations: new Map(),
    foreignKeys: [],
    autoincrement: false,
    onConflict: { notNull: new Map(), primaryKey: null, uniques: [] },
  };
  if (open < 0) return result;
  for (const item of splitItems(tokens, open)) {
    const head = item[0];
    const isConstraint = isWord(head, 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN');
    const column = !isConstraint && head !== undefined ? head.value : null;
    let pendingName: string | null = null;
    let depth = 0;
    // The constraint an ON CONFLICT clause would belong to: the last one begun in this item.
    let owner: { kind: 'not-null' | 'primary' | 'other' } | { kind: 'unique'; columns: string[] } | null = null;
    for (let i = 0; i < item.length; i++) {
      const t = item[i];
      // Only clauses of the column or constraint itself count, not words inside an expression
      // such as CHECK (a COLLATE NOCASE <> 'x') or DEFAULT ('q' COLLATE RTRIM).
      if (t?.kind === 'punct' && (t.text === '(' || t.text === ')')) {
        depth += t.text === '(' ? 1 : -1;
        continue;
      }
      if (depth > 0) continue;
      if (isWord(t, 'ON') && isWord(item[i + 1], 'CONFLICT')) {
        const resolution = item[i + 2]?.value.toLowerCase() ?? '';
        i += 2;
        if (!RESOLUTIONS.has(resolution)) continue; // ABORT, the default
        const onConflict = resolution as OnConflict;
        if (owner?.kind === 'not-null' && column !== null) result.onConflict.notNull.set(column, onConflict);
        else if (owner?.kind === 'primary') result.onConflict.primaryKey = onConflict;
        else if (owner?.kind === 'unique') result.onConflict.uniques.push({ columns: owner.columns, onConflict });
        continue;
      }
      if (isWord(t, 'NOT') && isWord(item[i + 1], 'NULL')) owner = { kind: 'not-null' };
      else if (isWord(t, 'PRIMARY')) owner = { kind: 'primary' };
      else if (isWord(t, 'UNIQUE'))
        owner = { kind: 'unique', columns: column === null ? keyColumns(item, i) : [column] };
      else if (isWord(t, 'NULL') && !isWord(item[i - 1], 'NOT')) owner = { kind: 'other' };
      else if (isWord(t, 'CHECK')) owner = { kind: 'other' };
      if (isWord(t, 'CONSTRAINT')) {
        pendingName = item[i + 1]?.value ?? null;
        i++;
      } else if (isWord(t, 'CHECK')) {
        const expression = parenthesisedAfter(sql, item, i);
        if (expression !== null) result.checks.push({ name: pendingName, column, expression });
        pendingName = null;
      } else if (isWord(t, 'PRIMARY')) {
        result.primaryKeyName = pendingName;
        pendingName = null;
      } else if (isWord(t, 'REFERENCES')) {
        result.foreignKeys.push(foreignKeyAt(item, i, pendingName, column));
        pendingName = null;
      } else if (isWord(t, 'AUTOINCREMENT')) {
        result.autoincrement = true;
      } else if (column !== null && isWord(t, 'COLLATE') && item[i + 1] !== undefined) {
        result.collations.set(column, (item[i + 1] as Token).value);
      } else if (column !== null && isWord(t, 'AS') && item[i + 1]?.text === '(') {
        const expression = parenthesisedAfter(sql, item, i);
        if (expression !== null) result.generated.set(column, expression);
      } else if (isWord(t, 'NOT', 'NULL', 'UNIQUE', 'DEFAULT', 'GENERATED')) {
        pendingName = null;
      }
    }
  }
  return result;
}

/** The column names of a table constraint's `(a COLLATE x DESC, b)` after token `at`. */
function keyColumns(item: Token[], at: number): string[] {
  return item[at + 1]?.text === '(' ? splitItems(item, at + 1).map((key) => key[0]?.value ?? '') : [];
}

function foreignKeyAt(
  item: Token[],
  at: number,
  name: string | null,
  column: string | null,
): TableClauses['foreignKeys'][number] {
  let columns: string[] = column === null ? [] : [column];
  if (column === null) {
    // Table constraint: FOREIGN KEY (a, b) REFERENCES t …
    const open = item.findIndex((t, i) => i < at && t.kind === 'punct' && t.text === '(');
    if (open >= 0) columns = splitItems(item, open).map((key) => key[0]?.value ?? '');
  }
  const rest = item.slice(at + 2);
  const deferrableAt = rest.findIndex((t, i) => isWord(t, 'DEFERRABLE') && !isWord(rest[i - 1], 'NOT'));
  const initiallyDeferred =
    deferrableAt >= 0 && isWord(rest[deferrableAt + 1], 'INITIALLY') && isWord(rest[deferrableAt + 2], 'DEFERRED');
  return { name, columns, refTable: item[at + 1]?.value ?? '', deferrable: deferrableAt >= 0, initiallyDeferred };
}

export interface IndexClauses {
  /** One entry per key, in order: the key's source text (a column name or an expression). */
  keys: string[];
  where: string | null;
}

/** The key list and partial predicate of a CREATE INDEX text. */
export function indexClauses(sql: string): IndexClauses {
  const tokens = tokenize(sql);
  const on = tokens.findIndex((t) => isWord(t, 'ON'));
  const open = tokens.findIndex((t, i) => i > on && t.kind === 'punct' && t.text === '(');
  if (on < 0 || open < 0) return { keys: [], where: null };
  const keys = splitItems(tokens, open).map((item) => {
    // Drop a trailing ASC/DESC and COLLATE x: pragma index_xinfo reports those separately.
    let end = item.length;
    if (isWord(item[end - 1], 'ASC', 'DESC')) end--;
    if (isWord(item[end - 2], 'COLLATE')) end -= 2;
    return sourceOf(sql, item.slice(0, end));
  });
  const close = closingParen(tokens, open);
  const where = tokens.findIndex((t, i) => i > close && isWord(t, 'WHERE'));
  return { keys, where: where < 0 ? null : sql.slice((tokens[where] as Token).end).trim() || null };
}
