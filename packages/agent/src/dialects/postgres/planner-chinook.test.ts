import { describe, expect, it } from 'vitest';
import { chinookPostgresSql } from '../../test-support/postgres-fixtures.js';
import { actions, edit, evolve, rows } from '../../test-support/postgres-round-trip.js';

/*
 * Evolutions of Chinook with all of its 15,000 rows: type changes on keys other tables
 * reference, NOT NULL backfills over hundreds of rows, renames and a new view, each reaching
 * the desired schema with every surviving value intact.
 */

const CHINOOK = chinookPostgresSql();
/** The CREATE statements alone: the desired states are written from them. */
const DDL = CHINOOK.slice(0, CHINOOK.indexOf('INSERT INTO'));

// Cast to text: the driver returns bigint as a string and int as a number.
const TRACKS = 'SELECT track_id::text, name, composer, bytes::text, unit_price FROM track ORDER BY track_id';
const LINES = 'SELECT invoice_line_id, invoice_id, track_id::text, unit_price FROM invoice_line ORDER BY 1';
const PLAYLISTS = 'SELECT playlist_id, track_id::text FROM playlist_track ORDER BY 1, 2';
const CUSTOMERS = 'SELECT customer_id, first_name, last_name, email FROM customer ORDER BY 1';

describe('PostgreSQL planner on Chinook', () => {
  it('widens a referenced key with its foreign keys moved out of the way, keeping every row', async () => {
    const e = await evolve(
      CHINOOK,
      edit(
        DDL,
        [
          '    track_id INT NOT NULL,\n    name VARCHAR(200) NOT NULL,',
          '    track_id BIGINT NOT NULL,\n    name TEXT NOT NULL,',
        ],
        ['    track_id INT NOT NULL,\n    unit_price', '    track_id BIGINT NOT NULL,\n    unit_price'],
        [
          '    playlist_id INT NOT NULL,\n    track_id INT NOT NULL,',
          '    playlist_id INT NOT NULL,\n    track_id BIGINT NOT NULL,',
        ],
        ['    bytes INT,', '    bytes BIGINT,'],
      ),
      { keep: { tracks: TRACKS, lines: LINES, playlists: PLAYLISTS } },
    );
    const ops = actions(e.ops);
    expect(ops.slice(0, 2)).toEqual([
      'drop-foreign-key invoice_line.invoice_line_track_id_fkey',
      'drop-foreign-key playlist_track.playlist_track_track_id_fkey',
    ]);
    expect(ops.slice(-2)).toEqual([
      'add-foreign-key invoice_line.invoice_line_track_id_fkey',
      'add-foreign-key playlist_track.playlist_track_track_id_fkey',
    ]);
    expect(ops.filter((a) => a.startsWith('alter-column-type'))).toHaveLength(5);
    // Wider integers and unbounded text keep every value.
    expect(e.ops.every((op) => !op.dataLoss)).toBe(true);
    await e.expectRowsKept();
    await e.rollBackAndCheck();
  }, 60_000);

  it('adds NOT NULL columns and backfills a nullable one over hundreds of rows', async () => {
    const e = await evolve(
      CHINOOK,
      edit(
        DDL,
        [
          '    total NUMERIC(10,2) NOT NULL,',
          "    total NUMERIC(10,2) NOT NULL,\n    currency CHAR(3) NOT NULL DEFAULT 'USD',",
        ],
        ['    company VARCHAR(80),', "    company VARCHAR(80) NOT NULL DEFAULT 'private',"],
      ),
      { keep: { customers: CUSTOMERS } },
    );
    expect(actions(e.ops)).toEqual([
      'set-default customer.company',
      'set-not-null customer.company',
      'add-column invoice.currency',
    ]);
    expect(await rows(e.url, "SELECT count(*)::int AS n FROM customer WHERE company = 'private'")).toEqual([{ n: 49 }]);
    expect(await rows(e.url, 'SELECT DISTINCT currency FROM invoice')).toEqual([{ currency: 'USD' }]);
    await e.expectRowsKept();
    await e.rollBackAndCheck();
  }, 60_000);

  it('renames a table and a column with hints, adds a unique constraint and a view', async () => {
    const e = await evolve(
      CHINOOK,
      `${DDL}
ALTER TABLE playlist_track RENAME TO playlist_item;
ALTER TABLE track RENAME COLUMN composer TO author;
ALTER TABLE media_type ADD CONSTRAINT media_type_name_key UNIQUE (name);
CREATE VIEW track_summary AS
  SELECT t.track_id, t.name, a.title AS album, g.name AS genre FROM track t
  JOIN album a USING (album_id) LEFT JOIN genre g USING (genre_id);`,
      {
        keep: { tracks: TRACKS, playlists: PLAYLISTS },
        renames: [
          { kind: 'table', from: 'playlist_track', to: 'playlist_item' },
          { kind: 'column', table: 'track', from: 'composer', to: 'author' },
        ],
      },
    );
    expect(actions(e.ops)).toEqual([
      'rename-table playlist_item',
      'rename-column track.author',
      'add-unique media_type.media_type_name_key',
      'create-view track_summary',
    ]);
    expect(e.ops.every((op) => op.down !== null)).toBe(true);
    await e.expectRowsKept({
      tracks: 'SELECT track_id::text, name, author AS composer, bytes::text, unit_price FROM track ORDER BY track_id',
      playlists: 'SELECT playlist_id, track_id::text FROM playlist_item ORDER BY 1, 2',
    });
    expect(await rows(e.url, 'SELECT count(*)::int AS n FROM track_summary')).toEqual([{ n: 3503 }]);
    await e.rollBackAndCheck();
  }, 60_000);

  it('narrows a column (flagged as data loss), drops one, and builds an index concurrently', async () => {
    const e = await evolve(
      CHINOOK,
      `${edit(
        DDL,
        ['    fax VARCHAR(24),\n    email VARCHAR(60) NOT NULL,', '    email VARCHAR(60) NOT NULL,'],
        [
          '    phone VARCHAR(24),\n    email VARCHAR(60) NOT NULL,',
          '    phone VARCHAR(30),\n    email VARCHAR(60) NOT NULL,',
        ],
        [
          '    postal_code VARCHAR(10),\n    phone VARCHAR(24),\n    fax VARCHAR(24),\n    email VARCHAR(60),',
          '    postal_code VARCHAR(8),\n    phone VARCHAR(24),\n    fax VARCHAR(24),\n    email VARCHAR(60),',
        ],
      )}
CREATE INDEX track_name_idx ON track (name);`,
      { concurrentIndexes: true, keep: { customers: CUSTOMERS } },
    );
    expect(actions(e.ops)).toEqual([
      'drop-column customer.fax',
      'alter-column-type customer.phone',
      'alter-column-type employee.postal_code',
      'create-index track.track_name_idx',
    ]);
    expect(e.ops[1]).toMatchObject({ risk: 'caution', dataLoss: false });
    expect(e.ops[2]).toMatchObject({ risk: 'destructive', dataLoss: true });
    expect(e.ops[3]).toMatchObject({ transactional: false, lock: 'none' });
    await e.expectRowsKept();
  }, 60_000);
});
