/*
 * Quoting and name matching for the PostgreSQL planner. Every name the planner writes is
 * double-quoted and schema-qualified, so a statement means the same whatever the applying
 * session's search_path. Texts from the model (types, defaults, definitions) are used as the
 * catalogue printed them: introspection runs with search_path = pg_catalog, so they name user
 * objects as `schema.name`, quoting only where PostgreSQL must.
 */

/** A double-quoted identifier; embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualify(namespace: string, name: string): string {
  return `${quoteIdent(namespace)}.${quoteIdent(name)}`;
}

/** A string literal (standard_conforming_strings is on by default since PostgreSQL 9.1). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `'text'`, or NULL: the right side of COMMENT ON … IS. */
export function literalOrNull(text: string | null): string {
  return text === null ? 'NULL' : quoteLiteral(text);
}

/** Definitions are stored as printed; the planner's statements carry no trailing semicolon. */
export function withoutSemicolon(sql: string): string {
  return sql.trimEnd().replace(/;$/, '').trimEnd();
}

const SIMPLE = /^[a-z_][a-z0-9_$]*$/;

/**
 * The ways a catalogue text can spell `schema.name`: quote_ident leaves simple lower-case
 * names bare (unless they are keywords, which this does not know, so both spellings count).
 */
export function spellings(namespace: string, name: string): string[] {
  const forms = (n: string) => (SIMPLE.test(n) ? [n, quoteIdent(n)] : [quoteIdent(n)]);
  return forms(namespace).flatMap((ns) => forms(name).map((n) => `${ns}.${n}`));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const patterns = new Map<string, RegExp>();

/**
 * True when `text` names `schema.name` as a whole qualified name (not a prefix of a longer
 * one, not the tail of another qualified name). A view, default or routine header that does
 * depends on the object.
 */
export function mentions(text: string, namespace: string, name: string): boolean {
  const key = `${namespace}\u0000${name}`;
  let pattern = patterns.get(key);
  if (pattern === undefined) {
    const alternatives = spellings(namespace, name).map(escapeRegExp).join('|');
    pattern = new RegExp(`(?<![\\w$."])(?:${alternatives})(?![\\w$"])`);
    patterns.set(key, pattern);
  }
  return pattern.test(text);
}

/** Splits `public.payment` or `"My Schema"."t"` (a regclass printed by the server). */
export function splitQualified(text: string, defaultNamespace: string): { namespace: string; name: string } {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      let part = '';
      while (j < text.length) {
        if (text[j] === '"' && text[j + 1] === '"') {
          part += '"';
          j += 2;
        } else if (text[j] === '"') break;
        else part += text[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      const dot = text.indexOf('.', i);
      const end = dot < 0 ? text.length : dot;
      parts.push(text.slice(i, end).trim());
      i = end;
    }
    if (text[i] === '.') i++;
  }
  const name = parts.pop() ?? text;
  return { namespace: parts.pop() ?? defaultNamespace, name };
}

/** A list of regclass names as the catalogue prints them (`public.a, public.b`), split. */
export function splitNameList(text: string): string[] {
  const names: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      names.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') names.push(current.trim());
  return names;
}

/** An identifier as the catalogue prints it: bare when simple, else quoted (keywords aside). */
export function printedIdent(name: string): string {
  return SIMPLE.test(name) ? name : quoteIdent(name);
}

/**
 * `text` (an expression as the catalogue prints it) with the columns in `renames` (old → new)
 * renamed: what PostgreSQL prints for the same expression after RENAME COLUMN. Only whole
 * identifiers outside string literals are replaced.
 */
export function renameIdentifiers(text: string, renames: ReadonlyMap<string, string>): string {
  if (renames.size === 0) return text;
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*/g, (token) => {
    if (token.startsWith("'")) return token;
    const name = token.startsWith('"') ? token.slice(1, -1).replaceAll('""', '"') : token;
    const renamed = renames.get(name);
    return renamed === undefined ? token : printedIdent(renamed);
  });
}
