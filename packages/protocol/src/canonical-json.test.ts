import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, MAX_JSON_DEPTH, parseCanonical, parseJson } from './canonical-json.js';
import type { IsotypError } from './errors/isotyp-error.js';
import { codeOf } from './test-support/code-of.js';

// The RFC authors' implementation, as an oracle. It is CommonJS, so load it as such.
const canonicalizeReference = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string;

describe('canonicalize: RFC 8785 examples', () => {
  it('serialises the §3.2.2 example exactly', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts properties by UTF-16 code units (§3.2.3)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    // Compare text, not Object.keys: JavaScript enumerates integer-like keys ("1") first.
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const expected = `{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k])}`).join(',')}}`;
    expect(canonicalize(input)).toBe(expected);
    expect(expected.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  // RFC 8785 Appendix B: IEEE 754 bit patterns and their required serialisation.
  const appendixB: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(appendixB)('serialises the double %s as %s', (hex, expected) => {
    const value = new DataView(Uint8Array.from(Buffer.from(hex, 'hex')).buffer).getFloat64(0);
    expect(canonicalize(value)).toBe(expected);
    expect(canonicalize([value])).toBe(`[${expected}]`);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('refuses %s', (_name, value) => {
    expect(codeOf(() => canonicalize({ n: value }))).toBe('ISOTYP_UNSUPPORTED_VALUE');
  });
});

describe('canonicalize: strictness', () => {
  it('refuses values JSON cannot carry exactly instead of coercing them', () => {
    expect(codeOf(() => canonicalize('\ud800'))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize({ '\udc00': 1 }))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize(10n))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize(new Date(0)))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize(new Map()))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize([1, undefined]))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize(() => 1))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    expect(codeOf(() => canonicalize(Symbol('s')))).toBe('ISOTYP_UNSUPPORTED_VALUE');
  });

  it('keeps well-formed surrogate pairs and omits undefined properties', () => {
    expect(canonicalize({ a: undefined, b: '😀' })).toBe('{"b":"😀"}');
    expect(canonicalize(Object.assign(Object.create(null) as object, { z: 1, a: 2 }))).toBe('{"a":2,"z":1}');
  });

  it('refuses cycles and hostile nesting with an error, not a stack overflow', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => canonicalize(cyclic))).toBe('ISOTYP_UNSUPPORTED_VALUE');
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = [deep];
    expect(codeOf(() => canonicalize(deep))).toBe('ISOTYP_UNSUPPORTED_VALUE');
  });

  it('names the path of the offending value', () => {
    try {
      canonicalize({ plan: { ops: [1, Number.NaN] } });
      expect.unreachable();
    } catch (error) {
      expect((error as IsotypError).details).toEqual({ path: '$.plan.ops[1]' });
    }
  });
});

describe('canonicalize: properties', () => {
  const json = fc.jsonValue({ maxDepth: 6 });

  it('canonical(parse(canonical(x))) === canonical(x)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the RFC authors’ reference implementation', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalize(value)).toBe(canonicalizeReference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on property insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(record));
      }),
    );
  });

  it('parseCanonical accepts exactly the canonical text', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalize(value);
        expect(canonicalize(parseCanonical(text))).toBe(text);
        expect(canonicalize(parseCanonical(new TextEncoder().encode(text)))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseCanonical', () => {
  it.each([
    ['whitespace', '{"a": 1}'],
    ['re-ordered keys', '{"b":1,"a":2}'],
    ['duplicate keys', '{"a":1,"a":1}'],
    ['needless escapes', '{"a":"\\u0041"}'],
    ['a lossy integer', '{"a":12345678901234567890}'],
    ['a non-shortest number', '{"a":1.50}'],
    ['a byte-order mark', '\ufeff{"a":1}'],
  ])('refuses %s', (_name, text) => {
    expect(codeOf(() => parseCanonical(text))).toBe(
      text.startsWith('\ufeff') ? 'ISOTYP_MALFORMED_JSON' : 'ISOTYP_NOT_CANONICAL',
    );
  });

  it('refuses invalid UTF-8 and malformed JSON with a clear code', () => {
    expect(codeOf(() => parseCanonical(Uint8Array.from([0x7b, 0xff, 0x7d])))).toBe('ISOTYP_MALFORMED_JSON');
    expect(codeOf(() => parseJson('{"a":'))).toBe('ISOTYP_MALFORMED_JSON');
  });
});
