import { describe, expect, it } from 'vitest';
import { col, model, table } from '../test-support/model.js';
import { diffSchemas } from './diff.js';

describe('diffSchemas', () => {
  it('finds nothing between equal models', () => {
    const m = model([table('a', [col('id')])]);
    expect(diffSchemas(m, structuredClone(m)).changes).toEqual([]);
  });

  it('lists created, dropped and altered tables with the column properties that changed', () => {
    const from = model([table('keep', [col('id'), col('name', 'text')]), table('gone', [col('x')])]);
    const to = model([
      table('keep', [col('id', 'bigint', { nullable: false }), col('name', 'text', { default: "'n/a'::text" })]),
      table('fresh', [col('y', 'text')]),
    ]);
    const { changes } = diffSchemas(from, to);
    expect(changes.map((c) => c.kind)).toEqual(['alter-table', 'create-table', 'drop-table']);
    const alter = changes[0];
    if (alter?.kind !== 'alter-table') throw new Error('expected alter-table');
    expect(alter.changes.map((c) => (c.kind === 'alter-column' ? [c.to.name, c.properties] : c.kind))).toEqual([
      ['id', ['type', 'nullable']],
      ['name', ['default']],
    ]);
  });

  it('sees a changed NOT NULL conflict clause, an optional field absent on one side', () => {
    const from = model([table('t', [col('id', 'INTEGER', { nullable: false })])], {}, 'sqlite');
    const to = model(
      [table('t', [col('id', 'INTEGER', { nullable: false, notNullOnConflict: 'replace' })])],
      {},
      'sqlite',
    );
    const [change] = diffSchemas(from, to).changes;
    expect(change?.kind === 'alter-table' && change.changes).toEqual([
      expect.objectContaining({ kind: 'alter-column', properties: ['notNullOnConflict'] }),
    ]);
  });

  it('flags look-alike drop/add pairs as rename candidates and honours rename hints', () => {
    const from = model([table('artist', [col('id'), col('title', 'text')])]);
    const to = model([table('performer', [col('id'), col('name', 'text')])]);
    const plain = diffSchemas(from, to);
    expect(plain.changes.map((c) => c.kind)).toEqual(['create-table', 'drop-table']);
    expect(plain.renameCandidates).toEqual([]); // columns differ, so not the same shape

    const sameShape = model([table('performer', [col('id'), col('title', 'text')])]);
    expect(diffSchemas(from, sameShape).renameCandidates).toEqual([
      { kind: 'table', namespace: 'public', table: null, from: 'artist', to: 'performer' },
    ]);

    const hinted = diffSchemas(from, to, {
      renames: [
        { kind: 'table', from: 'artist', to: 'performer' },
        { kind: 'column', table: 'performer', from: 'title', to: 'name' },
      ],
    });
    expect(hinted.changes.map((c) => c.kind)).toEqual(['rename-table', 'alter-table']);
    const alter = hinted.changes[1];
    expect(alter?.kind === 'alter-table' && alter.changes.map((c) => c.kind)).toEqual(['rename-column']);
  });

  it('flags a dropped and an added column of the same type as a possible rename', () => {
    const from = model([table('t', [col('id'), col('old_name', 'text')])]);
    const to = model([table('t', [col('id'), col('new_name', 'text')])]);
    expect(diffSchemas(from, to).renameCandidates).toEqual([
      { kind: 'column', namespace: 'public', table: 't', from: 'old_name', to: 'new_name' },
    ]);
  });

  it('adds enum values in place but recreates an enum whose values were removed or reordered', () => {
    const e = (values: string[]) => ({ name: 'mood', values, comment: null });
    const kinds = (a: string[], b: string[]) =>
      diffSchemas(model([], { enums: [e(a)] }), model([], { enums: [e(b)] })).changes.map((c) => c.kind);
    expect(kinds(['sad', 'ok'], ['sad', 'meh', 'ok', 'happy'])).toEqual(['add-enum-values']);
    expect(kinds(['sad', 'ok'], ['ok', 'sad'])).toEqual(['drop-enum', 'create-enum']);
    expect(kinds(['sad', 'ok'], ['sad'])).toEqual(['drop-enum', 'create-enum']);
  });

  it('does not rebuild indexes and keys of a renamed column', () => {
    const idx = (column: string) => ({
      name: 't_idx',
      unique: false,
      keys: [{ column, expression: null, order: 'asc' as const, nulls: null, collation: null }],
      include: [],
      where: null,
      method: null,
      comment: null,
    });
    const from = model([
      table('t', [col('a')], { indexes: [idx('a')], primaryKey: { name: 't_pkey', columns: ['a'] } }),
    ]);
    const to = model([table('t', [col('b')], { indexes: [idx('b')], primaryKey: { name: 't_pkey', columns: ['b'] } })]);
    const { changes } = diffSchemas(from, to, { renames: [{ kind: 'column', table: 't', from: 'a', to: 'b' }] });
    expect(changes[0]?.kind === 'alter-table' && changes[0].changes.map((c) => c.kind)).toEqual(['rename-column']);
  });

  it('refuses to compare two dialects and explains a rename hint that does not fit', () => {
    const pg = model([]);
    expect(() => diffSchemas(pg, { ...pg, dialect: 'sqlite' })).toThrow(
      expect.objectContaining({ code: 'ISOTYP_INVALID_INPUT' }),
    );
    expect(() => diffSchemas(pg, pg, { renames: [{ kind: 'table', from: 'x', to: 'y' }] })).toThrow(
      expect.objectContaining({ code: 'ISOTYP_INVALID_INPUT' }),
    );
  });
});
