import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_JSON_DEPTH, parseStrictJson } from './strict-json.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('parseStrictJson', () => {
  it('returns the decoded text and the value', () => {
    expect(parseStrictJson(bytes('{"name":"app","tags":["a","b"]}'))).toEqual({
      text: '{"name":"app","tags":["a","b"]}',
      value: { name: 'app', tags: ['a', 'b'] },
    });
  });

  it('refuses invalid UTF-8 and a byte-order mark as malformed JSON', () => {
    expect(codeOf(() => parseStrictJson(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])))).toBe(
      'ISOTYP_MALFORMED_JSON',
    );
    expect(codeOf(() => parseStrictJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])))).toBe('ISOTYP_MALFORMED_JSON');
  });

  it('refuses truncated and trailing-garbage JSON', () => {
    expect(codeOf(() => parseStrictJson(bytes('{"name":"ap')))).toBe('ISOTYP_MALFORMED_JSON');
    expect(codeOf(() => parseStrictJson(bytes('{} {}')))).toBe('ISOTYP_MALFORMED_JSON');
  });

  it('accepts exactly the maximum depth and refuses one more', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(parseStrictJson(bytes(nested(MAX_REQUEST_JSON_DEPTH))).value).toBeInstanceOf(Array);
    expect(codeOf(() => parseStrictJson(bytes(nested(MAX_REQUEST_JSON_DEPTH + 1))))).toBe('ISOTYP_INVALID_INPUT');
    expect(codeOf(() => parseStrictJson(bytes('{"a":'.repeat(100_000))))).toBe('ISOTYP_INVALID_INPUT');
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: `\\"${'['.repeat(500)}` });
    expect(parseStrictJson(bytes(text)).value).toEqual({ s: `\\"${'['.repeat(500)}` });
  });

  it.each([
    ['__proto__', '{"__proto__":{"polluted":true}}'],
    ['constructor', '{"a":{"constructor":{"prototype":{"polluted":true}}}}'],
    ['prototype', '[1,{"prototype":1}]'],
    ['escaped __proto__', '{"\\u005f_proto__":{"polluted":true}}'],
  ])('refuses a %s key anywhere without polluting prototypes', (_name, text) => {
    expect(codeOf(() => parseStrictJson(bytes(text)))).toBe('ISOTYP_INVALID_INPUT');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the path of the forbidden key', () => {
    try {
      parseStrictJson(bytes('{"items":[{},{"constructor":1}]}'));
      expect.unreachable();
    } catch (error) {
      expect((error as { details?: unknown }).details).toEqual({ path: '$.items[1].constructor' });
    }
  });
});
