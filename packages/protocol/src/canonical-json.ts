import { IsotypError } from './errors/isotyp-error.js';

/** A value that canonical JSON can represent. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deeper nesting is refused rather than risking the call stack on hostile input. */
export const MAX_JSON_DEPTH = 256;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
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
  return serialize(value, 0, '$');
}

/** The UTF-8 bytes of `canonicalize(value)`: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(canonicalize(value));
}

function serialize(value: unknown, depth: number, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) unsupported(path, `${value} is not a finite number`);
      // Number#toString is the ECMAScript serialisation RFC 8785 §3.2.2.3 prescribes (and gives "0" for -0).
      return String(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) unsupported(path, 'the string holds a lone UTF-16 surrogate');
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      unsupported(path, `a ${typeof value} has no JSON form`);
  }
  if (depth >= MAX_JSON_DEPTH) unsupported(path, `nested deeper than ${MAX_JSON_DEPTH} levels (or cyclic)`);
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) unsupported(`${path}[${i}]`, 'arrays cannot hold undefined');
      parts.push(serialize(item, depth + 1, `${path}[${i}]`));
    }
    return `[${parts.join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    unsupported(path, 'only plain objects and arrays are serialised (convert dates, maps and class instances first)');
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (LONE_SURROGATE.test(key)) unsupported(path, 'a property name holds a lone UTF-16 surrogate');
    parts.push(`${JSON.stringify(key)}:${serialize(item, depth + 1, `${path}.${key}`)}`);
  }
  return `{${parts.join(',')}}`;
}

function unsupported(path: string, why: string): never {
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
