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

/**
 * The straightforward RFC 8785 serialiser canonicalize() started as: sort every object's keys,
 * write every value in place, refuse what JSON cannot carry. canonicalize() now copies into
 * sorted plain objects and lets JSON.stringify write them; these properties hold it to this.
 */
function straightforward(value: unknown, depth = 0, path: (string | number)[] = []): string {
  const refuse = (): never => {
    throw new Error(`refused at $${path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`);
  };
  const quote = (text: string): string => (/[\uD800-\uDFFF]/u.test(text) ? refuse() : JSON.stringify(text));
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : refuse();
    case 'string':
      return quote(value);
    case 'object':
      break;
    default:
      return refuse();
  }
  if (depth >= MAX_JSON_DEPTH) refuse();
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      if (value[i] === undefined) refuse();
      items.push(straightforward(value[i], depth + 1, path));
      path.pop();
    }
    return `[${items.join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) refuse();
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    const name = quote(key);
    path.push(key);
    members.push(`${name}:${straightforward(record[key], depth + 1, path)}`);
    path.pop();
  }
  return `{${members.join(',')}}`;
}

/** The text, or where it was refused: canonicalize's error path vs the straightforward one's. */
function outcome(serialise: (value: unknown) => string, value: unknown): string {
  try {
    return serialise(value);
  } catch (error) {
    const path = (error as IsotypError).details?.path ?? (error as Error).message.replace('refused at ', '');
    return `refused at ${String(path)}`;
  }
}

describe('canonicalize: the fast path against the straightforward serialiser', () => {
  // Keys that stress the fast path: array indices (enumerated first by JavaScript), __proto__,
  // toJSON, names shared between objects so key orders repeat, astral and lone surrogates.
  const key = fc.oneof(
    fc.constantFrom('a', 'b', 'name', 'type', 'comment', 'toJSON', '__proto__', 'constructor', ''),
    fc.constantFrom('0', '1', '2', '10', '01', '-1', '4294967295', '1e3', '😀', '\u20ac', '\r', '\ud800', '\udc00x'),
    fc.string({ maxLength: 4 }),
    fc.string({ unit: 'binary', maxLength: 3 }),
  );
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
  const rare = fc.constantFrom<unknown>(undefined, 10n, new Date(0), new Map(), () => 1, Symbol('s'));
  const { value } = fc.letrec<{ value: unknown; object: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { arbitrary: leaf, weight: 6 },
      { arbitrary: rare, weight: 1 },
      { arbitrary: fc.array(tie('value'), { maxLength: 5 }), weight: 2 },
      { arbitrary: tie('object'), weight: 3 },
      // Objects of one shape, as in a schema model: their key order is sorted once and reused.
      { arbitrary: tie('object').map((o) => [o, { ...(o as object) }, { ...(o as object) }]), weight: 1 },
    ),
    object: fc
      .tuple(fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }), fc.boolean())
      .map(([entries, nullProto]) => {
        // defineProperty, so that "__proto__" becomes an own key as JSON.parse makes it.
        const o: Record<string, unknown> = nullProto ? Object.create(null) : {};
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true });
        return o;
      }),
  }));

  it('gives the same text, or refuses at the same path', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(canonicalize, v)).toBe(outcome(straightforward, v));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees on long arrays, which it writes element by element, at any depth', () => {
    // Mostly values it accepts (one refused value anywhere hands the whole value over), and
    // objects whose keys need sorting.
    const item = fc.oneof(
      { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 20 },
      { arbitrary: fc.record({ z: fc.integer(), a: fc.string(), m: fc.boolean() }), weight: 5 },
      { arbitrary: value, weight: 1 },
    );
    const long = <T>(of: fc.Arbitrary<T>) => fc.array(of, { minLength: 32, maxLength: 70 });
    const nested = fc.oneof(
      long(item),
      fc.record({ z: long(item), a: item, m: long(long(fc.integer())) }),
      long(fc.record({ name: fc.string(), list: fc.oneof(long(item), fc.array(item, { maxLength: 3 })) })),
      fc.array(fc.record({ b: long(item), a: fc.constant(undefined) }, { requiredKeys: ['b'] }), {
        minLength: 2,
        maxLength: 3,
      }),
      fc.array(long(item), { minLength: 2, maxLength: 3 }),
      fc.record({ tables: long(fc.record({ y: long(fc.string()), x: fc.array(item, { maxLength: 2 }) })) }),
    );
    fc.assert(
      fc.property(nested, (v) => {
        expect(outcome(canonicalize, v)).toBe(outcome(straightforward, v));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees on JSON values and their re-parsed canonical text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = straightforward(v);
        expect(canonicalize(v)).toBe(text);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on many objects sharing a first key in different key orders', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const rows = fc.array(
      fc.shuffledSubarray(names.slice(1), { minLength: 0 }).map((rest) => {
        const o: Record<string, number> = { a: 1 };
        for (const [i, k] of rest.entries()) o[k] = i;
        return o;
      }),
      { minLength: 10, maxLength: 60 },
    );
    fc.assert(
      fc.property(rows, (list) => {
        expect(canonicalize(list)).toBe(straightforward(list));
      }),
    );
  });

  it('reads each property once, so a getter cannot show the checks one value and the output another', () => {
    let reads = 0;
    const tricky = {
      get n() {
        reads++;
        return reads === 1 ? 1 : Number.NaN;
      },
    };
    expect(canonicalize({ x: tricky })).toBe('{"x":{"n":1}}');
    expect(reads).toBe(1);
  });

  it('ignores a toJSON added to Object.prototype, as the straightforward serialiser does', () => {
    const proto = Object.prototype as { toJSON?: unknown };
    Object.defineProperty(proto, 'toJSON', { value: () => 'hijacked', configurable: true, writable: true });
    try {
      expect(canonicalize({ b: [1, { c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null}]}');
    } finally {
      delete proto.toJSON;
    }
    expect('toJSON' in Object.prototype).toBe(false);
  });

  it('orders array-index keys and __proto__ by code units', () => {
    expect(canonicalize({ 10: 'a', 2: 'b', x: 'c', 1: 'd' })).toBe('{"1":"d","10":"a","2":"b","x":"c"}');
    expect(canonicalize(JSON.parse('{"b":1,"__proto__":{"z":2,"a":1}}'))).toBe('{"__proto__":{"a":1,"z":2},"b":1}');
  });
});
