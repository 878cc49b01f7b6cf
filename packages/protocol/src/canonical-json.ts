import { IsotypError } from './errors/isotyp-error.js';

/** A value that canonical JSON can represent. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deeper nesting is refused rather than risking the call stack on hostile input. */
export const MAX_JSON_DEPTH = 256;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Anything that needs escaping, or any surrogate half (paired or not): the slow path. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const SPECIAL = /[\u0000-\u001f"\\\uD800-\uDFFF]/;
const utf8Encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Serialises a value as RFC 8785 (JSON Canonicalization Scheme) text: object keys sorted by
 * UTF-16 code units, ECMAScript number serialisation, JSON.stringify string escaping, no
 * whitespace. Object properties whose value is `undefined` are omitted, as JSON.stringify does;
 * every other value JSON cannot carry exactly (NaN, ±Infinity, bigint, lone surrogates, class
 * instances, `toJSON`) is refused, never coerced.
 *
 * @example
 * canonicalize({ b: 1, a: [true, 'x'] }) // '{"a":[true,"x"],"b":1}'
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  serialize(value, 0, [], out);
  return out.join('');
}

/** The UTF-8 bytes of `canonicalize(value)`: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(canonicalize(value));
}

/**
 * Appends the canonical form of `value` to `out`. `path` is the stack of keys leading here; it
 * is turned into text only when a value is refused, so the common path builds no strings.
 */
function serialize(value: unknown, depth: number, path: (string | number)[], out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) unsupported(path, `${value} is not a finite number`);
      // Number#toString is the ECMAScript serialisation RFC 8785 §3.2.2.3 prescribes (and gives "0" for -0).
      out.push(String(value));
      return;
    case 'string':
      out.push(quote(value, path, 'the string'));
      return;
    case 'object':
      break;
    default:
      unsupported(path, `a ${typeof value} has no JSON form`);
  }
  if (depth >= MAX_JSON_DEPTH) unsupported(path, `nested deeper than ${MAX_JSON_DEPTH} levels (or cyclic)`);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      path.push(i);
      if (item === undefined) unsupported(path, 'arrays cannot hold undefined');
      if (i > 0) out.push(',');
      serialize(item, depth + 1, path, out);
      path.pop();
    }
    out.push(']');
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    unsupported(path, 'only plain objects and arrays are serialised (convert dates, maps and class instances first)');
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
  const keys = Object.keys(record).sort();
  out.push('{');
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out.push(first ? '' : ',', quote(key, path, 'a property name'), ':');
    first = false;
    path.push(key);
    serialize(item, depth + 1, path, out);
    path.pop();
  }
  out.push('}');
}

/**
 * A JSON string literal. Most names and identifiers need no escaping, so they skip
 * JSON.stringify (the hot spot of canonicalising a large schema model).
 */
function quote(text: string, path: (string | number)[], what: string): string {
  if (!SPECIAL.test(text)) return `"${text}"`;
  if (LONE_SURROGATE.test(text)) unsupported(path, `${what} holds a lone UTF-16 surrogate`);
  return JSON.stringify(text);
}

function unsupported(keys: (string | number)[], why: string): never {
  const path = `$${keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`;
  throw new IsotypError('ISOTYP_UNSUPPORTED_VALUE', `Cannot canonicalise ${path}: ${why}.`, {
    hint: 'Canonical JSON carries only null, booleans, finite numbers, well-formed strings, arrays and plain objects.',
    details: { path },
  });
}

/**
 * Parses JSON text or UTF-8 bytes. Bytes must be valid UTF-8; any syntax error becomes
 * ISOTYP_MALFORMED_JSON.
 */
export function parseJson(input: string | Uint8Array): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = strictUtf8.decode(input);
    } catch {
      throw new IsotypError('ISOTYP_MALFORMED_JSON', 'Input is not valid UTF-8.', {
        hint: 'Send JSON encoded as UTF-8.',
      });
    }
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', 'Input is not well-formed JSON.', {
      hint: 'Check the document with a JSON validator; the first syntax error is in the details.',
      details: { reason: error instanceof Error ? error.message : String(error) },
    });
  }
}

/**
 * Parses input that must already be canonical: it is accepted only if re-serialising the
 * parsed value gives back exactly the same text. This rejects whitespace, duplicate keys,
 * reordered keys, escaped characters that need no escape, and numbers that lose precision.
 */
export function parseCanonical(input: string | Uint8Array): JsonValue {
  const value = parseJson(input);
  const text = typeof input === 'string' ? input : strictUtf8.decode(input);
  if (canonicalize(value) !== text) {
    throw new IsotypError('ISOTYP_NOT_CANONICAL', 'Input is JSON but not in RFC 8785 canonical form.', {
      hint: 'Serialise signed documents with canonicalize(); do not pretty-print or re-order them.',
    });
  }
  return value;
}
