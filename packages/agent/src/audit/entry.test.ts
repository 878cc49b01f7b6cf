import { canonicalize, digest, leafHash } from '@isotyp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, buildEntry, canonicalSeq, entryLeaf, formatEntry, parseEntry } from './entry.js';

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
    for (const bad of [text.replace('{', '{ '), text.replace('"a"', '"\\u0061"'), text.slice(1)]) {
      expect(canonicalSeq(bad)).toBeUndefined();
    }
    expect(() => buildEntry({ actor: '', action: 'b', entity: { kind: 'c', id: 'd' } }, 0, '')).toThrow(/actor/);
  });

  it('checks canonical text quickly, and only ever agrees with parseEntry', () => {
    // Every ASCII entry, control characters and the characters JSON escapes included, takes the
    // fast path; anything else may be left to parseEntry, but never gets another answer.
    const ascii = fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 });
    const asciiEntries = fc
      .record({ actor: ascii, action: ascii, kind: ascii, id: ascii, seq: fc.nat() })
      .map(({ seq, kind, id, ...rest }) => buildEntry({ ...rest, entity: { kind, id } }, seq, '2026-11-26T14:29:56Z'));
    fc.assert(
      fc.property(asciiEntries, (entry) => {
        expect(canonicalSeq(formatEntry(entry))).toBe(entry.seq);
      }),
    );
    fc.assert(
      fc.property(entries, (entry) => {
        expect([undefined, entry.seq]).toContain(canonicalSeq(formatEntry(entry)));
      }),
    );
    // Edits of canonical text: whatever the fast check accepts, parseEntry accepts with that seq.
    const piece = fc.constantFrom(...['"', '\\', '{', '}', ',', ':', ' ', 'u', '0', '1', 'a', 'f', 'é', '\n', '\0']);
    const edit = fc.record({ at: fc.nat(), drop: fc.nat({ max: 2 }), insert: fc.array(piece, { maxLength: 2 }) });
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(entries, asciiEntries), fc.array(edit, { minLength: 1, maxLength: 2 }), (entry, edits) => {
        let text = formatEntry(entry);
        for (const { at, drop, insert } of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert.join('') + text.slice(i + drop);
        }
        const seq = canonicalSeq(text);
        if (seq === undefined) return;
        accepted++;
        expect(parseEntry(text)).toEqual({ entry: expect.objectContaining({ seq }) });
      }),
      { numRuns: 5000 },
    );
    // Some edits keep the text canonical (a digit of seq, a letter in a name): the check was exercised.
    expect(accepted).toBeGreaterThan(100);
    // Escapes one by one: JSON.stringify's own are fast, every other spelling is rejected by both.
    const withActor = (raw: string) =>
      formatEntry(
        buildEntry({ actor: 'a', action: 'b', entity: { kind: 'c', id: 'd' } }, 7, '2026-11-26T14:29:56Z'),
      ).replace('"actor":"a"', `"actor":"${raw}"`);
    for (const good of [
      '\\"',
      '\\\\',
      '\\b',
      '\\t',
      '\\n',
      '\\f',
      '\\r',
      '\\u0000',
      '\\u000b',
      '\\u001f',
      '\u007f',
      '/',
    ]) {
      expect([good, canonicalSeq(withActor(good))]).toEqual([good, 7]);
    }
    for (const bad of [
      '\\/',
      '\\u0008',
      '\\u000A',
      '\\u001F',
      '\\u0020',
      '\\u00e9',
      '\\ud800',
      '\t',
      '\u0000',
      '\\',
      '\\x41',
      '',
    ]) {
      expect([bad, canonicalSeq(withActor(bad))]).toEqual([bad, undefined]);
      expect([bad, parseEntry(withActor(bad))]).toEqual([bad, { reason: expect.any(String) }]);
    }
    expect(canonicalSeq(`${'x'.repeat(2000)}`)).toBeUndefined();
    expect(canonicalSeq(Buffer.from('{}'))).toBeUndefined();
  });
});
