import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/*
 * The public PostgreSQL sample schemas kept in examples/ (a user's clone has them; the shared
 * fixtures folder they were copied from is not part of the repository).
 */

/** Pagila's schema-only pg_dump (PostgreSQL licence), examples/pagila-postgres/schema.sql. */
export const PAGILA_SQL = fileURLToPath(new URL('../../../../examples/pagila-postgres/schema.sql', import.meta.url));

/** Chinook 1.4.5 for PostgreSQL (MIT), examples/chinook-postgres/chinook.sql, as published. */
export const CHINOOK_POSTGRES_SQL = fileURLToPath(
  new URL('../../../../examples/chinook-postgres/chinook.sql', import.meta.url),
);

export function pagilaSql(): string {
  return readFileSync(PAGILA_SQL, 'utf8');
}

/**
 * Chinook without the three lines that only make sense to psql (DROP/CREATE DATABASE chinook
 * and `\c chinook`), as its README tells a user to strip them.
 */
export function chinookPostgresSql(): string {
  return readFileSync(CHINOOK_POSTGRES_SQL, 'utf8')
    .split('\n')
    .filter((line) => !/^(\\c |DROP DATABASE|CREATE DATABASE)/.test(line))
    .join('\n');
}

/**
 * One schema that uses every field the PostgreSQL introspection fills (identity, generated,
 * collations, partial / expression / INCLUDE / DESC NULLS FIRST indexes, deferrable and
 * MATCH FULL foreign keys, NULLS NOT DISTINCT, exclusion, partitioning, comments, an
 * extension…), for tests that need a schema with a bit of everything.
 */
export const CRAFTED_POSTGRES_SQL = `
CREATE EXTENSION citext;
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the app';
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok';
COMMENT ON TYPE app.mood IS 'feelings';
CREATE DOMAIN app.posint AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE DOMAIN app.code AS text COLLATE "C" CONSTRAINT code_len CHECK (length(VALUE) = 3);
COMMENT ON DOMAIN app.posint IS 'positive';
CREATE SEQUENCE app.counter AS integer START 10 INCREMENT 5 MINVALUE 10 MAXVALUE 1000 CACHE 2 CYCLE;
COMMENT ON SEQUENCE app.counter IS 'counts';
CREATE TABLE app.account (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 10) PRIMARY KEY,
  email text NOT NULL COLLATE "C",
  name text,
  login public.citext,
  mood app.mood DEFAULT 'ok',
  price numeric(10,2) NOT NULL DEFAULT 0 CONSTRAINT price_positive CHECK (price >= 0),
  total numeric GENERATED ALWAYS AS (price * 2) STORED,
  tags text[],
  CONSTRAINT account_email_name_key UNIQUE NULLS NOT DISTINCT (email, name)
);
COMMENT ON TABLE app.account IS 'accounts';
COMMENT ON COLUMN app.account.email IS 'login address';
COMMENT ON CONSTRAINT account_email_name_key ON app.account IS 'one per person';
CREATE INDEX account_lower_email ON app.account (lower(email) DESC NULLS LAST, name DESC) INCLUDE (price);
CREATE INDEX account_name_pattern ON app.account (name text_pattern_ops);
CREATE INDEX account_name_c ON app.account (name COLLATE "C" NULLS FIRST);
CREATE INDEX account_tags ON app.account USING gin (tags);
CREATE UNIQUE INDEX account_name_unique ON app.account (name) NULLS NOT DISTINCT;
COMMENT ON INDEX app.account_tags IS 'tag search';
CREATE TABLE app.orders (
  id serial PRIMARY KEY,
  account_id bigint,
  parent_id integer,
  during tstzrange,
  FOREIGN KEY (account_id) REFERENCES app.account (id)
    ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT orders_parent_fk FOREIGN KEY (parent_id) REFERENCES app.orders (id) MATCH FULL,
  CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)
);
CREATE INDEX orders_open ON app.orders (account_id) WHERE parent_id IS NULL;
CREATE VIEW app.rich AS SELECT id, email FROM app.account WHERE price > 100 WITH CHECK OPTION;
COMMENT ON VIEW app.rich IS 'big spenders';
CREATE MATERIALIZED VIEW app.mood_counts AS SELECT mood, count(*) AS n FROM app.account GROUP BY mood;
CREATE UNIQUE INDEX mood_counts_mood ON app.mood_counts (mood);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.name := coalesce(NEW.name, 'x'); RETURN NEW; END $$;
COMMENT ON FUNCTION app.touch() IS 'fills name';
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN a + b;
CREATE FUNCTION app.add(a numeric, b numeric) RETURNS numeric LANGUAGE sql BEGIN ATOMIC SELECT a + b; END;
CREATE PROCEDURE app.noop() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TRIGGER account_touch BEFORE INSERT ON app.account FOR EACH ROW EXECUTE FUNCTION app.touch();
COMMENT ON TRIGGER account_touch ON app.account IS 'fill the name';
CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at ON app.events (at);
CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v jsonb) WITH (fillfactor = 70);
ALTER TABLE app.cache ENABLE ROW LEVEL SECURITY;
`;
