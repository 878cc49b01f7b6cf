import { describe, expect, it } from 'vitest';
import { semverBump } from '../../plan/semver.js';
import { pagilaSql } from '../../test-support/postgres-fixtures.js';
import { actions, evolve, rows } from '../../test-support/postgres-round-trip.js';

/*
 * Pagila's routines, triggers, domains, sequences and comments changed the way a team would:
 * each plan must reach the desired schema exactly and roll back.
 */

const PAGILA = pagilaSql();

describe('PostgreSQL planner on Pagila: routines, triggers, types and comments', () => {
  it('replaces a function body in place, recreates one whose result changes, adds and replaces triggers', async () => {
    const e = await evolve(
      PAGILA,
      `${PAGILA}
CREATE OR REPLACE FUNCTION public.last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update = clock_timestamp();
    RETURN NEW;
END $$;
DROP FUNCTION public.film_in_stock(integer, integer);
CREATE FUNCTION public.film_in_stock(p_film_id integer, p_store_id integer) RETURNS bigint LANGUAGE sql
  AS $$ SELECT count(*) FROM public.inventory WHERE film_id = p_film_id AND store_id = p_store_id $$;
DROP FUNCTION public.inventory_held_by_customer(integer);
CREATE FUNCTION public.inventory_held_by_customer(p_inventory_id integer) RETURNS bigint LANGUAGE sql
  AS $$ SELECT max(customer_id) FROM public.rental WHERE return_date IS NULL AND inventory_id = p_inventory_id $$;
CREATE FUNCTION public.film_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER film_audit AFTER INSERT ON public.film FOR EACH ROW EXECUTE FUNCTION public.film_audit();
DROP TRIGGER last_updated ON public.actor;
CREATE TRIGGER last_updated BEFORE INSERT OR UPDATE ON public.actor FOR EACH ROW EXECUTE FUNCTION public.last_updated();`,
    );
    const ops = actions(e.ops);
    expect(ops).toEqual([
      'drop-routine film_in_stock(p_film_id integer, p_store_id integer, OUT p_film_count integer)',
      'create-routine film_audit()',
      'create-routine film_in_stock(p_film_id integer, p_store_id integer)',
      'replace-routine inventory_held_by_customer(p_inventory_id integer)',
      'replace-routine last_updated()',
      'replace-trigger actor.last_updated',
      'create-trigger film.film_audit',
    ]);
    const byName = Object.fromEntries(e.ops.map((op) => [op.object.name, op]));
    // Same signature: CREATE OR REPLACE, the old body as the down.
    expect(byName['last_updated()']?.up).toEqual([
      'SET LOCAL check_function_bodies = off',
      expect.stringContaining('clock_timestamp()'),
    ]);
    expect(byName['last_updated()']?.down?.[1]).toContain('CURRENT_TIMESTAMP');
    // A new result type: DROP and CREATE, both ways.
    expect(byName['inventory_held_by_customer(p_inventory_id integer)']?.up[0]).toBe(
      'DROP FUNCTION "public"."inventory_held_by_customer"(p_inventory_id integer)',
    );
    expect(byName['actor.last_updated']).toMatchObject({
      up: [expect.stringMatching(/^DROP TRIGGER/), expect.stringContaining('BEFORE INSERT OR UPDATE')],
    });
    await e.rollBackAndCheck();
  });

  it('alters a domain in place and changes a sequence', async () => {
    const e = await evolve(
      PAGILA,
      `${PAGILA}
ALTER DOMAIN public.year DROP CONSTRAINT year_check;
ALTER DOMAIN public.year ADD CONSTRAINT year_check CHECK (VALUE >= 1888 AND VALUE <= 2200);
ALTER DOMAIN public.year SET DEFAULT 2000;
ALTER SEQUENCE public.actor_actor_id_seq INCREMENT BY 10 CACHE 5 MAXVALUE 1000000;`,
    );
    expect(actions(e.ops)).toEqual(['alter-domain year', 'alter-domain year', 'alter-sequence actor_actor_id_seq']);
    expect(e.ops[1]?.up).toEqual([
      'ALTER DOMAIN "public"."year" DROP CONSTRAINT "year_check"',
      'ALTER DOMAIN "public"."year" ADD CONSTRAINT "year_check" CHECK (VALUE >= 1888 AND VALUE <= 2200)',
    ]);
    expect(e.ops[2]?.up).toEqual([
      'ALTER SEQUENCE "public"."actor_actor_id_seq" AS bigint INCREMENT BY 10 MINVALUE 1 MAXVALUE 1000000 START WITH 1 CACHE 5 NO CYCLE',
    ]);
    await e.rollBackAndCheck();
  });

  it('sets comments on every kind of object, as patch-level operations', async () => {
    const e = await evolve(
      PAGILA,
      `${PAGILA}
COMMENT ON SCHEMA public IS 'the rental store';
COMMENT ON TABLE public.film IS 'films in stock';
COMMENT ON COLUMN public.film.rating IS 'MPAA rating';
COMMENT ON VIEW public.film_list IS 'films with actors';
COMMENT ON MATERIALIZED VIEW public.rental_by_category IS 'refreshed nightly';
COMMENT ON INDEX public.idx_title IS 'title search';
COMMENT ON INDEX public.rental_category IS 'one row per category';
COMMENT ON CONSTRAINT film_pkey ON public.film IS 'the film';
COMMENT ON CONSTRAINT film_language_id_fkey ON public.film IS 'spoken language';
COMMENT ON FUNCTION public.last_day(timestamp with time zone) IS 'end of month';
COMMENT ON AGGREGATE public.group_concat(text) IS 'joins text';
COMMENT ON TYPE public.mpaa_rating IS 'ratings';
COMMENT ON DOMAIN public.year IS 'a year';
COMMENT ON CONSTRAINT year_check ON DOMAIN public.year IS 'plausible';
COMMENT ON SEQUENCE public.film_film_id_seq IS 'film ids';
COMMENT ON TRIGGER last_updated ON public.film IS 'keeps last_update';`,
    );
    expect(e.ops).toHaveLength(16);
    expect(e.ops.every((op) => op.action === 'set-comment' && op.risk === 'safe' && op.lock === 'none')).toBe(true);
    expect(semverBump(e.ops)).toBe('patch');
    await e.rollBackAndCheck();
  });

  it('drops views, routines, a trigger and a table it no longer wants', async () => {
    const e = await evolve(
      PAGILA,
      `${PAGILA}
DROP VIEW public.sales_by_store;
DROP MATERIALIZED VIEW public.rental_by_category;
DROP FUNCTION public.rewards_report(integer, numeric);
DROP AGGREGATE public.group_concat(text) CASCADE;
DROP FUNCTION public._group_concat(text, text);
DROP TRIGGER film_fulltext_trigger ON public.film;
DROP TABLE public.payment_p2022_07;`,
      { seedSql: `INSERT INTO public.actor (actor_id, first_name, last_name) VALUES (1, 'A', 'B');` },
    );
    const ops = actions(e.ops);
    // group_concat's views go with it; the aggregate goes before the function it is built on.
    expect(ops.indexOf('drop-routine group_concat(text)')).toBeLessThan(
      ops.indexOf('drop-routine _group_concat(text, text)'),
    );
    expect(ops).toContain('drop-table payment_p2022_07');
    expect(ops).toContain('drop-trigger film.film_fulltext_trigger');
    expect(await rows(e.url, 'SELECT count(*)::int AS n FROM public.actor')).toEqual([{ n: 1 }]);
  });

  it('alters a partitioned table once: its partitions follow the parent', async () => {
    // Written the way pg_dump writes partitions: each one declares its columns.
    const desired = `${PAGILA.replaceAll('    amount numeric(5,2) NOT NULL,', '    amount numeric(7,2) NOT NULL,').replaceAll('    rental_id integer NOT NULL,\n    amount', '    rental_id integer,\n    amount')}
ALTER TABLE public.payment ADD COLUMN note text DEFAULT '' NOT NULL;
CREATE TABLE public.payment_p2027_01 PARTITION OF public.payment FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');
ALTER TABLE public.payment_p2022_03 ALTER COLUMN rental_id SET NOT NULL;
ALTER TABLE public.payment_p2022_04 ALTER COLUMN note SET DEFAULT 'april';`;
    const e = await evolve(PAGILA, desired, {
      seedSql: `INSERT INTO public.payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
        VALUES (1, 1, 1, 1, 2.99, '2022-01-15'), (2, 1, 1, 2, 0.99, '2022-03-15');`,
      keep: { payments: 'SELECT payment_id, amount::text, payment_date FROM public.payment ORDER BY 1' },
    });
    const ops = actions(e.ops).filter((a) => !a.includes('view') && !a.startsWith('create-index rental_by'));
    // One statement on the parent each; partitions only where they differ from it.
    expect(ops).toEqual([
      'create-table payment_p2027_01',
      'alter-column-type payment.amount',
      'add-column payment.note',
      'drop-not-null payment.rental_id',
      'set-not-null payment_p2022_03.rental_id',
      'set-default payment_p2022_04.note',
      // Created with the parent's new column, so attached once the parent has it.
      'attach-partition payment_p2027_01',
    ]);
    await e.expectRowsKept();
    await e.rollBackAndCheck();
  }, 60_000);
});
