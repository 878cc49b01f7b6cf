import { IsotypError } from './errors/isotyp-error.js';

/** A value that canonical JSON can represent. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deeper nesting is refused rather than risking the call stack on hostile input. */
export const MAX_JSON_DEPTH = 256;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Anything that needs escaping, or any surrogate half (paired or not): the slow path. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const SPECIAL = /[\u0000-\u001f"\\\uD800-\uDFFF]/;
/** Captured once, so later changes to the global JSON object cannot alter canonical text. */
const stringify = JSON.stringify;
/** Any surrogate half, paired or not: strings with one get the exact lone-surrogate check. */
const SURROGATE = /[\uD800-\uDFFF]/;
/**
 * Keys JavaScript enumerates before all others, in numeric order, whatever their insertion
 * order (array indices; this matches every canonical integer, a superset, to be safe).
 */
const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;
/** Shapes remembered at most; past this the cache starts again, so that it stays small. */
const MAX_SHAPES = 4096;
/** Objects with more keys than this (dictionaries, rarely repeated) are sorted uncached. */
const MAX_SHAPE_KEYS = 64;
/** Shapes remembered per first and last key, so that finding one stays quick. */
const SHAPES_PER_ENDS = 8;
/** Arrays at least this long are written element by element (see sortedCopy). */
const LONG_ARRAY = 32;

/** Thrown inside the fast path to hand the value over to the reference serialiser. */
const HAND_OVER: unique symbol = Symbol('hand over to the reference serialiser');
const utf8Encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Serialises a value as RFC 8785 (JSON Canonicalization Scheme) text: object keys sorted by
 * UTF-16 code units, ECMAScript number serialisation, JSON.stringify string escaping, no
 * whitespace. Object properties whose value is `undefined` are omitted, as JSON.stringify does;
 * every other value JSON cannot carry exactly (NaN, ±Infinity, bigint, lone surrogates, class
 * instances, `toJSON`) is refused, never coerced.
 *
 * Two implementations give the same text. The fast one (sortedCopy) checks every value and
 * copies the input into fresh plain objects whose keys are inserted in canonical order, then
 * lets JSON.stringify write that copy: for a well-formed string JSON.stringify's escaping is the
 * one RFC 8785 §3.2.2.2 prescribes, for a finite number its Number#toString is §3.2.2.3, and it
 * emits a fresh object's string keys in insertion order. It hands over to the plain recursive
 * serialiser (`serialize`), which stays the reference, whenever that argument might not hold:
 * keys JavaScript would enumerate first (array indices such as "1") or treat specially
 * (`__proto__`), a `toJSON` on Object.prototype or Array.prototype, and every refused value
 * (the reference then throws, naming the path). canonical-json.test.ts checks the two against
 * each other and against the RFC authors' implementation.
 *
 * @example
 * canonicalize({ b: 1, a: [true, 'x'] }) // '{"a":[true,"x"],"b":1}'
 */
export function canonicalize(value: unknown): string {
  if (!('toJSON' in Object.prototype) && !('toJSON' in Array.prototype)) {
    try {
      return text(sortedCopy(value, 0));
    } catch (error) {
      if (error !== HAND_OVER) throw error;
    }
  }
  const out: string[] = [];
  serialize(value, 0, [], out);
  return out.join('');
}

/** The UTF-8 bytes of `canonicalize(value)`: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(canonicalize(value));
}

/**
 * The canonical key order of objects with the same key sequence: objects of one kind (all
 * columns, all indexes…) share one, so it is sorted once. It depends on the keys alone, so the
 * cache serves every call. Shapes are found by first and last key, then compared key by key.
 */
interface Shape {
  keys: string[];
  sorted: string[];
}
const shapes = new Map<string, Map<string, Shape[]>>();
let shapeCount = 0;

/** Canonical text already written for part of the value (see sortedCopy). */
class Written {
  constructor(readonly text: string) {}
}

/**
 * The fast path: a checked copy of the input with every object's keys inserted in canonical
 * order. Each input property is read exactly once; JSON.stringify sees only the copy, made of
 * fresh arrays, fresh plain objects and primitives that passed the reference's checks.
 *
 * A long array (a schema's tables) is written element by element: each element's copy is
 * handed to JSON.stringify on its own and can be collected at once, instead of a copy of the
 * whole value living until the end (a third less time on a 5,000-table model, most of it
 * garbage collection). A container holding written text is written the way JSON.stringify
 * would write it: `[` elements joined by `,` `]`, or `{` `"key":value` members in the copy's
 * key order joined by `,` `}`.
 */
function sortedCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      if (SURROGATE.test(value) && LONE_SURROGATE.test(value)) throw HAND_OVER;
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw HAND_OVER;
      return value;
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw HAND_OVER;
  }
  if (value === null) return null;
  if (depth >= MAX_JSON_DEPTH) throw HAND_OVER;
  if (Array.isArray(value)) {
    const length = value.length;
    if (length >= LONG_ARRAY) {
      let out = '[';
      for (let i = 0; i < length; i++) {
        const item: unknown = value[i];
        if (item === undefined) throw HAND_OVER;
        out += (i === 0 ? '' : ',') + text(sortedCopy(item, depth + 1));
      }
      return new Written(`${out}]`);
    }
    let written = false;
    const copy: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw HAND_OVER;
      const itemCopy = sortedCopy(item, depth + 1);
      if (itemCopy instanceof Written) written = true;
      copy[i] = itemCopy;
    }
    return written ? new Written(`[${copy.map(text).join(',')}]`) : copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw HAND_OVER;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const copy: Record<string, unknown> = {};
  if (keys.length === 0) return copy;
  const sorted = sortedKeys(keys);
  let written = false;
  for (let i = 0; i < sorted.length; i++) {
    const key = sorted[i] as string;
    const item = record[key];
    if (item === undefined) continue;
    const itemCopy = sortedCopy(item, depth + 1);
    if (itemCopy instanceof Written) written = true;
    copy[key] = itemCopy;
  }
  if (!written) return copy;
  const members: string[] = [];
  for (const key of Object.keys(copy)) members.push(`${stringify(key)}:${text(copy[key])}`);
  return new Written(`{${members.join(',')}}`);
}

/** `keys` in UTF-16 code unit order, from the cache when an object had the same keys before. */
function sortedKeys(keys: string[]): string[] {
  const n = keys.length;
  const first = keys[0] as string;
  const last = keys[n - 1] as string;
  const known = shapes.get(first)?.get(last);
  if (known !== undefined) {
    next: for (const shape of known) {
      if (shape.keys.length !== n) continue;
      for (let i = 1; i < n - 1; i++) if (shape.keys[i] !== keys[i]) continue next;
      return shape.sorted;
    }
  }
  for (const key of keys) {
    if (SURROGATE.test(key) && LONE_SURROGATE.test(key)) throw HAND_OVER;
    if (key === '__proto__' || INDEX_LIKE.test(key)) throw HAND_OVER;
  }
  // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
  const sorted = keys.slice().sort();
  if (n <= MAX_SHAPE_KEYS) {
    if (shapeCount >= MAX_SHAPES) {
      shapes.clear();
      shapeCount = 0;
    }
    let byLast = shapes.get(first);
    if (byLast === undefined) {
      byLast = new Map();
      shapes.set(first, byLast);
    }
    const list = byLast.get(last);
    if (list === undefined) byLast.set(last, [{ keys, sorted }]);
    else if (list.length < SHAPES_PER_ENDS) list.push({ keys, sorted });
    shapeCount++;
  }
  return sorted;
}

/** The canonical text of a checked copy, or of text already written. */
function text(copy: unknown): string {
  return copy instanceof Written ? copy.text : stringify(copy);
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
