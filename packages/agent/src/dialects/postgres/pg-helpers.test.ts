import { describe, expect, it } from 'vitest';
import { createPlan } from '../../plan/create-plan.js';
import { col, model, table } from '../../test-support/model.js';
import { dependencyOrder } from './pg-order.js';
import { mentions, splitNameList, splitQualified } from './pg-sql.js';
import { isLossless } from './pg-type-cast.js';
import { postgresPlanner } from './planner.js';

/* The planner's pure helpers: name matching, dependency order, and what counts as lossless. */

describe('PostgreSQL planner helpers', () => {
  it('finds qualified names as whole names, in either spelling', () => {
    expect(mentions('FROM public.film f JOIN public.film_actor fa', 'public', 'film')).toBe(true);
    expect(mentions('FROM public.film_actor fa', 'public', 'film')).toBe(false);
    expect(mentions('FROM other.public.film', 'public', 'film')).toBe(false);
    expect(mentions('SELECT "public"."film".title', 'public', 'film')).toBe(true);
    expect(mentions('RETURNS SETOF public."Odd ""t"""', 'public', 'Odd "t"')).toBe(true);
    expect(mentions('SFUNC = public._group_concat,', 'public', '_group_concat')).toBe(true);
  });

  it('splits the names the catalogue prints', () => {
    expect(splitQualified('public.payment', 'x')).toEqual({ namespace: 'public', name: 'payment' });
    expect(splitQualified('"My ""S"""."a.b"', 'x')).toEqual({ namespace: 'My "S"', name: 'a.b' });
    expect(splitQualified('payment', 'app')).toEqual({ namespace: 'app', name: 'payment' });
    expect(splitNameList('public.a, "x, y".b')).toEqual(['public.a', '"x, y".b']);
  });

  it('orders by dependencies, then rank, then key, and breaks cycles deterministically', () => {
    const node = (key: string, rank: number, dependsOn: string[] = []) => ({ item: key, key, rank, dependsOn });
    expect(dependencyOrder([node('b', 1), node('a', 1, ['c']), node('c', 1), node('f', 0, ['b'])])).toEqual([
      'b',
      'f',
      'c',
      'a',
    ]);
    expect(dependencyOrder([node('y', 0, ['x']), node('x', 0, ['y']), node('z', 0)])).toEqual(['z', 'x', 'y']);
  });

  it('calls only known widenings lossless', () => {
    expect(isLossless('smallint', 'integer')).toBe(true);
    expect(isLossless('integer', 'bigint')).toBe(true);
    expect(isLossless('bigint', 'integer')).toBe(false);
    expect(isLossless('integer', 'numeric(12,2)')).toBe(true);
    expect(isLossless('integer', 'numeric(5,2)')).toBe(false);
    expect(isLossless('numeric(4,2)', 'numeric(6,2)')).toBe(true);
    expect(isLossless('numeric(6,2)', 'numeric(6,1)')).toBe(false);
    expect(isLossless('character varying(10)', 'character varying(20)')).toBe(true);
    expect(isLossless('character varying(20)', 'character varying(10)')).toBe(false);
    expect(isLossless('text', 'character varying(80)')).toBe(false);
    expect(isLossless('timestamp with time zone', 'text')).toBe(true);
    expect(isLossless('text', 'integer')).toBe(false);
    expect(isLossless('bigint', 'double precision')).toBe(false);
  });

  it('plans identically for identical input', () => {
    const from = model([table('a', [col('id', 'integer')]), table('b', [col('x', 'text')])]);
    const to = model([
      table('a', [col('id', 'bigint', { nullable: false, default: '0' }), col('n', 'text')]),
      table('c', [col('y', 'integer')]),
    ]);
    const first = createPlan(from, to, postgresPlanner).plan;
    expect(createPlan(structuredClone(from), structuredClone(to), postgresPlanner).plan).toEqual(first);
    expect(first.ops.map((op) => `${op.action} ${op.object.name}`)).toEqual([
      'drop-table b',
      'create-table c',
      'alter-column-type a.id',
      'set-not-null a.id',
      'add-column a.n',
    ]);
  });
});
