import { describe, expect, it } from 'vitest';
import { pagilaSql } from '../../test-support/postgres-fixtures.js';
import { actions, edit, evolve, rows } from '../../test-support/postgres-round-trip.js';

/*
 * Realistic evolutions of Pagila, each applied to a real database holding a few rows: the live
 * schema must then equal the desired one exactly, re-planning must find nothing, rows must
 * survive where their columns do, and reversible plans must roll back to the original schema.
 */

const PAGILA = pagilaSql();

// Inserted with foreign keys off, so rows need not come in reference order.
const SEED = `
INSERT INTO public.language (language_id, name) VALUES (1, 'English'), (2, 'Italian');
INSERT INTO public.film (film_id, title, description, language_id, rental_rate, length, rating, fulltext)
VALUES (1, 'ACADEMY DINOSAUR', 'An epic drama', 1, 0.99, 86, 'PG', to_tsvector('academy dinosaur')),
       (2, 'ACE GOLDFINGER', NULL, 1, 4.99, 48, 'G', to_tsvector('ace goldfinger')),
       (3, 'ADAPTATION HOLES', 'A documentary', 2, 2.99, 50, 'NC-17', to_tsvector('adaptation holes'));
INSERT INTO public.actor (actor_id, first_name, last_name) VALUES (1, 'PENELOPE', 'GUINESS'), (2, 'NICK', 'WAHLBERG');
INSERT INTO public.film_actor (actor_id, film_id) VALUES (1, 1), (2, 1), (1, 2);
INSERT INTO public.category (category_id, name) VALUES (1, 'Action'), (2, 'Comedy');
INSERT INTO public.film_category (film_id, category_id) VALUES (1, 1), (2, 2);
INSERT INTO public.customer (customer_id, store_id, first_name, last_name, email, address_id, active)
VALUES (1, 1, 'MARY', 'SMITH', 'mary@example.com', 1, 1),
       (2, 1, 'PATRICIA', 'JOHNSON', NULL, 2, 1),
       (3, 2, 'LINDA', 'WILLIAMS', 'linda@example.com', 3, 0);
`;

const FILMS = 'SELECT film_id, title, description, rental_rate, length, rating::text FROM public.film ORDER BY film_id';
const CUSTOMERS = 'SELECT customer_id, first_name, last_name, email, active FROM public.customer ORDER BY customer_id';
const ACTORS = 'SELECT actor_id, first_name, last_name FROM public.actor ORDER BY actor_id';

const evolvePagila = (desired: string, options: Parameters<typeof evolve>[2] = {}) =>
  evolve(PAGILA, desired, { seedSql: SEED, keep: { films: FILMS, customers: CUSTOMERS, actors: ACTORS }, ...options });

describe('PostgreSQL planner on Pagila', () => {
  it('adds a NOT NULL column with a default and a comment, and drops it on rollback', async () => {
    const e = await evolvePagila(
      `${PAGILA}
ALTER TABLE public.customer ADD COLUMN loyalty_points integer DEFAULT 0 NOT NULL;
COMMENT ON COLUMN public.customer.loyalty_points IS 'earned by renting';`,
    );
    expect(actions(e.ops)).toEqual(['add-column customer.loyalty_points']);
    expect(e.ops[0]).toMatchObject({ risk: 'safe', lock: 'exclusive', dataLoss: false, transactional: true });
    expect(e.ops[0]?.up).toEqual([
      'ALTER TABLE "public"."customer" ADD COLUMN "loyalty_points" integer DEFAULT 0 NOT NULL',
      `COMMENT ON COLUMN "public"."customer"."loyalty_points" IS 'earned by renting'`,
    ]);
    expect(await rows(e.url, 'SELECT DISTINCT loyalty_points FROM public.customer')).toEqual([{ loyalty_points: 0 }]);
    await e.expectRowsKept();
    await e.rollBackAndCheck();
  });

  it('backfills NULLs with the new default before SET NOT NULL', async () => {
    const e = await evolvePagila(
      `${PAGILA}
ALTER TABLE public.customer ALTER COLUMN email SET DEFAULT 'unknown@example.com';
ALTER TABLE public.customer ALTER COLUMN email SET NOT NULL;`,
      {
        // The backfilled email stays after a rollback (a NULL carries nothing to restore).
        keep: {
          films: FILMS,
          customers: 'SELECT customer_id, first_name, last_name, active FROM public.customer ORDER BY 1',
        },
      },
    );
    expect(actions(e.ops)).toEqual(['set-default customer.email', 'set-not-null customer.email']);
    expect(e.ops[1]?.up).toEqual([
      `UPDATE "public"."customer" SET "email" = 'unknown@example.com'::text WHERE "email" IS NULL`,
      'ALTER TABLE "public"."customer" ALTER COLUMN "email" SET NOT NULL',
    ]);
    expect(e.ops[1]).toMatchObject({
      action: 'set-not-null',
      lock: 'exclusive',
      down: [expect.stringContaining('DROP NOT NULL')],
    });
    expect(await rows(e.url, 'SELECT email FROM public.customer ORDER BY customer_id')).toEqual([
      { email: 'mary@example.com' },
      { email: 'unknown@example.com' },
      { email: 'linda@example.com' },
    ]);
    await e.expectRowsKept();
    await e.rollBackAndCheck();
  }, 60_000);

  it('changes column types with the views over the table dropped and recreated around it', async () => {
    const e = await evolvePagila(
      edit(
        PAGILA,
        ['    length smallint,\n    replacement_cost', '    length integer,\n    replacement_cost'],
        ['    rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL,', '    rental_rate numeric(6,2) DEFAULT 4.99 NOT NULL,'],
        [
          '    title text NOT NULL,\n    description text,\n    release_year',
          '    title character varying(80) NOT NULL,\n    description text,\n    release_year',
        ],
      ),
      { keep: { films: FILMS, customers: CUSTOMERS } },
    );
    const ops = actions(e.ops);
    const firstAlter = ops.findIndex((a) => a.startsWith('alter-column-type'));
    // Every view that names public.film goes before the first ALTER and comes back after the last.
    for (const view of [
      'film_list',
      'nicer_but_slower_film_list',
      'actor_info',
      'sales_by_film_category',
      'rental_by_category',
    ]) {
      expect(ops.indexOf(`drop-view ${view}`)).toBeLessThan(firstAlter);
      expect(ops.indexOf(`create-view ${view}`)).toBeGreaterThan(firstAlter);
    }
    // Views that do not name film stay.
    expect(ops).not.toContain('drop-view customer_list');
    const byColumn = Object.fromEntries(
      e.ops.filter((op) => op.action === 'alter-column-type').map((op) => [op.object.name, op]),
    );
    expect(byColumn['film.length']).toMatchObject({ risk: 'caution', dataLoss: false, lock: 'exclusive' });
    expect(byColumn['film.length']?.up).toEqual([
      'ALTER TABLE "public"."film" ALTER COLUMN "length" TYPE integer USING "length"::integer',
    ]);
    expect(byColumn['film.length']?.down).toEqual([
      'ALTER TABLE "public"."film" ALTER COLUMN "length" TYPE smallint USING "length"::smallint',
    ]);
    expect(byColumn['film.rental_rate']).toMatchObject({ dataLoss: false });
    expect(byColumn['film.rental_rate']?.up).toEqual([
      'ALTER TABLE "public"."film" ALTER COLUMN "rental_rate" DROP DEFAULT',
      'ALTER TABLE "public"."film" ALTER COLUMN "rental_rate" TYPE numeric(6,2) USING "rental_rate"::numeric(6,2)',
      'ALTER TABLE "public"."film" ALTER COLUMN "rental_rate" SET DEFAULT 4.99',
    ]);
    // Text to a bounded varchar can truncate or fail: flagged.
    expect(byColumn['film.title']).toMatchObject({ risk: 'destructive', dataLoss: true });
    await e.expectRowsKept();
    await e.rollBackAndCheck();
  }, 60_000);

  it('adds an enum value in place, irreversibly', async () => {
    const e = await evolvePagila(
      `${PAGILA}\nALTER TYPE public.mpaa_rating ADD VALUE 'NR' AFTER 'NC-17';\nALTER TYPE public.mpaa_rating ADD VALUE 'PG-15' BEFORE 'R';`,
    );
    expect(actions(e.ops)).toEqual(['add-enum-value mpaa_rating']);
    expect(e.ops[0]).toMatchObject({
      up: [
        `ALTER TYPE "public"."mpaa_rating" ADD VALUE 'PG-15' AFTER 'PG-13'`,
        `ALTER TYPE "public"."mpaa_rating" ADD VALUE 'NR' AFTER 'NC-17'`,
      ],
      down: null,
      irreversibleReason: expect.stringContaining('cannot drop a value from an enum'),
      dataLoss: false,
    });
    await e.expectRowsKept();
    expect(e.trip.reversible).toBe(false);
  });

  it('recreates an enum whose new value the desired state already uses, or whose values are removed', async () => {
    const withValue = edit(
      PAGILA,
      ["    'NC-17'\n);", "    'NC-17',\n    'NR'\n);"],
      [
        "rating public.mpaa_rating DEFAULT 'G'::public.mpaa_rating,",
        "rating public.mpaa_rating DEFAULT 'NR'::public.mpaa_rating,",
      ],
    );
    const e = await evolvePagila(withValue);
    expect(actions(e.ops).filter((a) => a.includes('mpaa_rating') || a.startsWith('set-default'))).toEqual([
      'recreate-enum mpaa_rating',
      'set-default film.rating',
    ]);
    expect(e.ops.find((op) => op.action === 'recreate-enum')).toMatchObject({ risk: 'destructive', dataLoss: false });
    await e.expectRowsKept();
    await e.rollBackAndCheck();

    const removed = await evolvePagila(edit(PAGILA, ["    'R',\n", '']));
    expect(actions(removed.ops)).toContain('recreate-enum mpaa_rating');
    await removed.expectRowsKept();
    await removed.rollBackAndCheck();
  }, 60_000);

  it('creates a table with foreign keys, a serial key, a check and an index', async () => {
    const e = await evolvePagila(`${PAGILA}
CREATE TABLE public.review (
  review_id serial PRIMARY KEY,
  film_id integer NOT NULL REFERENCES public.film (film_id) ON DELETE CASCADE,
  customer_id integer REFERENCES public.customer (customer_id),
  stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
  body text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_film_idx ON public.review (film_id, stars DESC);
COMMENT ON TABLE public.review IS 'what customers thought';`);
    expect(actions(e.ops)).toEqual([
      'create-sequence review_review_id_seq',
      'create-table review',
      'create-index review.review_film_idx',
      'add-foreign-key review.review_customer_id_fkey',
      'add-foreign-key review.review_film_id_fkey',
      'alter-sequence review_review_id_seq',
    ]);
    expect(e.ops.every((op) => op.risk === 'safe')).toBe(true);
    await e.rollBackAndCheck();
  });

  it('renames a table and a column with hints, drops a column, and keeps the rows', async () => {
    const e = await evolvePagila(
      `${PAGILA}
ALTER TABLE public.actor RENAME COLUMN first_name TO given_name;
ALTER TABLE public.category RENAME TO genre;
ALTER TABLE public.staff DROP COLUMN picture;`,
      {
        renames: [
          { kind: 'column', table: 'actor', from: 'first_name', to: 'given_name' },
          { kind: 'table', from: 'category', to: 'genre' },
        ],
      },
    );
    const ops = actions(e.ops);
    expect(ops).toContain('rename-table genre');
    expect(ops).toContain('rename-column actor.given_name');
    expect(ops).toContain('drop-column staff.picture');
    expect(e.ops.find((op) => op.action === 'drop-column')).toMatchObject({
      down: null,
      dataLoss: true,
      risk: 'destructive',
    });
    await e.expectRowsKept({
      actors: 'SELECT actor_id, given_name AS first_name, last_name FROM public.actor ORDER BY actor_id',
    });
    expect(e.trip.reversible).toBe(false);
  }, 60_000);

  it('builds new indexes concurrently, outside the transaction, last', async () => {
    const e = await evolvePagila(
      `${PAGILA}
CREATE INDEX film_rating_idx ON public.film (rating) WHERE rating IS NOT NULL;
CREATE UNIQUE INDEX customer_email_key ON public.customer (lower(email));
CREATE INDEX payment_amount_idx ON public.payment (amount);`,
      { concurrentIndexes: true },
    );
    const concurrent = e.ops.filter((op) => !op.transactional);
    expect(actions(concurrent)).toEqual([
      'create-index customer.customer_email_key',
      'create-index film.film_rating_idx',
    ]);
    expect(e.ops.slice(-2)).toEqual(concurrent);
    expect(concurrent[0]?.up[0]).toMatch(/^CREATE UNIQUE INDEX CONCURRENTLY "customer_email_key"/);
    expect(concurrent[0]?.down).toEqual(['DROP INDEX CONCURRENTLY "public"."customer_email_key"']);
    // A partitioned table cannot build concurrently: that one stays in the transaction.
    expect(e.ops.find((op) => op.object.name === 'payment.payment_amount_idx')).toMatchObject({ transactional: true });
    await e.rollBackAndCheck();
  });
});
