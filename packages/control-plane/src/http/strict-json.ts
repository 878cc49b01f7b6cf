import { IsotypError, type JsonValue } from '@isotyp/protocol';

/** Deeper request documents are refused: nothing the API accepts nests this far. */
export const MAX_REQUEST_JSON_DEPTH = 64;

/**
 * Keys that reach `Object.prototype` or a constructor when a parsed document is later merged,
 * spread into a class or walked by a careless library. JSON.parse itself stores them as plain own
 * properties, so refusing them is about what code downstream might do, not about parsing.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface StrictJson {
  /** The decoded text, exactly as received. */
  text: string;
  value: JsonValue;
}

/**
 * Parses a request body strictly: the bytes must be valid UTF-8 (no BOM), the text well-formed
 * JSON nested at most `maxDepth` levels, and no object anywhere may have a `__proto__`,
 * `constructor` or `prototype` key. The depth is checked on the text before parsing, so a
 * hostile `[[[[…` never builds a structure.
 *
 * @example
 * parseStrictJson(new TextEncoder().encode('{"name":"app"}')).value // { name: 'app' }
 */
export function parseStrictJson(bytes: Uint8Array, maxDepth = MAX_REQUEST_JSON_DEPTH): StrictJson {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', 'The request body is not valid UTF-8.', {
      hint: 'Send the JSON document encoded as UTF-8.',
    });
  }
  checkDepth(text, maxDepth);
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', 'The request body is not well-formed JSON.', {
      hint: 'Check the document with a JSON validator; it may have been cut off.',
      details: { reason: error instanceof Error ? error.message : String(error) },
    });
  }
  checkKeys(value, []);
  return { text, value };
}

/** Counts brackets outside string literals; linear, no allocation, stops at the first excess. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > maxDepth) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', `The request body nests deeper than ${maxDepth} levels.`, {
          hint: 'Flatten the document; no request of this API nests that deep.',
          details: { maxDepth },
        });
      }
    } else if (ch === 0x5d || ch === 0x7d) {
      depth--;
    }
  }
}

/** Depth is already bounded by `checkDepth`, so recursion here cannot exhaust the stack. */
function checkKeys(value: JsonValue, path: (string | number)[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      checkKeys(value[i] as JsonValue, path);
      path.pop();
    }
    return;
  }
  for (const key of Object.keys(value)) {
    path.push(key);
    if (FORBIDDEN_KEYS.has(key)) {
      const at = `$${path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`;
      throw new IsotypError('ISOTYP_INVALID_INPUT', `The request body has a forbidden key "${key}" at ${at}.`, {
        hint: 'Rename the field; __proto__, constructor and prototype are never accepted.',
        details: { path: at },
      });
    }
    checkKeys(value[key] as JsonValue, path);
    path.pop();
  }
}
