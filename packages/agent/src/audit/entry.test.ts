import { canonicalize, digest, leafHash } from '@isotyp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, buildEntry, entryLeaf, formatEntry, parseEntry } from './entry.js';

const field = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
const entries = fc
  .record({ actor: field, action: field, kind: field, id: field, seq: fc.nat(), details: fc.jsonValue() })
  .map(({ seq, kind, id, ...rest }) =>
    buildEntry({ ...rest, entity: { kind, id } } as never, seq, '2026-11-26T14:29:56.123Z'),
  );

describe('audit entries', () => {
  it('formats exactly as RFC 8785 canonicalize, and parses back', () => {
    fc.assert(
      fc.property(entries, (entry) => {
        const text = formatEntry(entry);
        expect(text).toBe(canonicalize(entry));
        expect(parseEntry(text)).toEqual({ entry });
        expect(entryLeaf(text)).toEqual(Buffer.from(leafHash(new TextEncoder().encode(text))));
      }),
    );
  });

  it('digests details instead of storing them', () => {
    const entry = buildEntry(
      { actor: 'user:ana', action: 'apply', entity: { kind: 'change', id: 'chg_1' }, details: { password: 'hunter2' } },
      0,
      '2026-11-26T14:29:56.123Z',
    );
    expect(formatEntry(entry)).not.toContain('hunter2');
    expect(entry.detailsDigest).toBe(digest('audit-entry', { password: 'hunter2' }));
  });

  it('rejects non-canonical or malformed text', () => {
    const entry: AuditEntry = buildEntry(
      { actor: 'a', action: 'b', entity: { kind: 'c', id: 'd' } },
      3,
      '2026-11-26T14:29:56.123Z',
    );
    const text = formatEntry(entry);
    const reasons = [
      text.replace('{', '{ '),
      text.replace('"kind":"c"}', '"kind":"c","x":1}'),
      text.replace('"seq":3', '"seq":3.5'),
      text.replace('"a"', '"\\u0061"'),
      text.replace('"a"', '"\\ud800"'),
      text.replace('.123Z', '+00:00'),
      text.slice(1),
      `${text.slice(0, -1)},"extra":true}`,
    ].map((bad) => parseEntry(bad));
    for (const [i, result] of reasons.entries()) expect([i, result]).toEqual([i, { reason: expect.any(String) }]);
    expect(() => buildEntry({ actor: '', action: 'b', entity: { kind: 'c', id: 'd' } }, 0, '')).toThrow(/actor/);
  });
});
