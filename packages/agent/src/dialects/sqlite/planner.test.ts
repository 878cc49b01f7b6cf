import { describe, expect, it } from 'vitest';
import { actions, CHINOOK_DDL, edit, evolveChinook as evolve } from '../../test-support/sqlite-round-trip.js';

/*
 * Realistic evolutions of Chinook (15,000 rows), each applied to a real SQLite file: the live
 * digest must equal the desired one, re-planning must find nothing, rows must survive where
 * their columns do, and reversible plans must roll back to the original digest and rows.
 */

describe('SQLite planner on Chinook', () => {
  it('adds a nullable column in place and drops it again on rollback', () => {
    const e = evolve(`${CHINOOK_DDL}ALTER TABLE Album ADD COLUMN ReleaseYear INTEGER;`, { Album: '*' });
    expect(actions(e.ops)).toEqual(['add-column Album.ReleaseYear']);
    expect(e.ops[0]).toMatchObject({ risk: 'safe', lock: 'writes-blocked', dataLoss: false, transactional: true });
    expect(e.trip.plan.ops[0]?.up).toEqual(['ALTER TABLE "Album" ADD COLUMN "ReleaseYear" INTEGER']);
    e.expectRowsKept({ Album: ['Album', 'AlbumId, Title, ArtistId'] });
    e.rollBackAndCheck();
  });

  it('adds NOT NULL columns: in place with a constant default, by rebuild with CURRENT_TIMESTAMP', () => {
    const sql = edit(
      CHINOOK_DDL,
      [
        '[UnitPrice] NUMERIC(10,2)  NOT NULL,\n    CONSTRAINT [PK_Track]',
        '[UnitPrice] NUMERIC(10,2)  NOT NULL,\n    [Explicit] INTEGER NOT NULL DEFAULT 0,\n    CONSTRAINT [PK_Track]',
      ],
      [
        '[Total] NUMERIC(10,2)  NOT NULL,',
        '[Total] NUMERIC(10,2)  NOT NULL,\n    [CreatedAt] TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,',
      ],
    );
    const e = evolve(sql, { Track: 'TrackId, Name, UnitPrice', Invoice: 'InvoiceId, CustomerId, Total' });
    expect(actions(e.ops)).toEqual(['rebuild-table Invoice', 'add-column Track.Explicit']);
    expect(e.ops[0]).toMatchObject({ risk: 'caution', lock: 'exclusive', dataLoss: false });
    e.expectRowsKept();
    expect(e.db.prepare('SELECT count(*) AS n FROM Invoice WHERE CreatedAt IS NULL').get()).toEqual({ n: 0 });
    expect(e.db.prepare('SELECT DISTINCT Explicit FROM Track').all()).toEqual([{ Explicit: 0 }]);
    e.rollBackAndCheck();
  });

  it('refuses a new NOT NULL column without a default, at plan time', () => {
    const sql = edit(CHINOOK_DDL, [
      '[Name] NVARCHAR(120),\n    CONSTRAINT [PK_Genre]',
      '[Name] NVARCHAR(120),\n    [Code] TEXT NOT NULL,\n    CONSTRAINT [PK_Genre]',
    ]);
    expect(() => evolve(sql, {})).toThrowError(
      expect.objectContaining({
        code: 'ISOTYP_INVALID_INPUT',
        message: expect.stringContaining('Genre.Code is NOT NULL'),
      }),
    );
  });

  it('drops a column in place (irreversible), or by rebuild when a foreign key uses it', () => {
    const sql = edit(
      CHINOOK_DDL,
      ['    [Fax] NVARCHAR(24),\n    [Email] NVARCHAR(60)  NOT NULL,', '    [Email] NVARCHAR(60)  NOT NULL,'],
      ['    [GenreId] INTEGER,\n    [Composer]', '    [Composer]'],
      [
        '\n    FOREIGN KEY ([GenreId]) REFERENCES [Genre] ([GenreId]) \n\t\tON DELETE NO ACTION ON UPDATE NO ACTION,',
        '',
      ],
      ['CREATE INDEX [IFK_TrackGenreId] ON [Track] ([GenreId]);', ''],
    );
    const e = evolve(sql, { Customer: 'CustomerId, Email', Track: 'TrackId, Name, AlbumId, Composer' });
    // Track.GenreId carried a foreign key: a rebuild, which drops and recreates the indexes itself.
    expect(actions(e.ops)).toEqual(['drop-column Customer.Fax', 'rebuild-table Track']);
    expect(e.ops[0]).toMatchObject({
      down: null,
      irreversibleReason: 'dropping Customer.Fax discards its values',
      risk: 'destructive',
      dataLoss: true,
    });
    expect(e.ops[1]).toMatchObject({
      risk: 'destructive',
      dataLoss: true,
      lock: 'exclusive',
      down: null,
      irreversibleReason: 'rebuilding Track discards the values of Track.GenreId',
    });
    e.expectRowsKept();
    expect(e.trip.reversible).toBe(false);
  });

  it('changes column types by rebuilding, keeping rows, indexes and child references', () => {
    const sql = edit(
      CHINOOK_DDL,
      ['[Composer] NVARCHAR(220),', '[Composer] TEXT COLLATE NOCASE,'],
      ['[Bytes] INTEGER,', '[Bytes] BIGINT,'],
    );
    const e = evolve(sql, { Track: '*', InvoiceLine: '*', PlaylistTrack: '*' });
    expect(actions(e.ops)).toEqual(['rebuild-table Track']);
    const rebuild = e.ops[0];
    expect(rebuild?.up[0]).toMatch(/^CREATE TABLE "_isotyp_new_Track"/);
    expect(rebuild?.up).toContain('DROP TABLE "Track"');
    expect(rebuild?.up).toContain('ALTER TABLE "_isotyp_new_Track" RENAME TO "Track"');
    expect(rebuild?.up.filter((s) => s.startsWith('CREATE INDEX'))).toHaveLength(3);
    expect(rebuild).toMatchObject({ dataLoss: false, risk: 'caution' });
    e.expectRowsKept();
    expect(e.db.pragma('foreign_key_check')).toEqual([]);
    e.rollBackAndCheck();
  });

  it('marks a type change from text to a number as data loss', () => {
    const sql = edit(CHINOOK_DDL, [
      '[PostalCode] NVARCHAR(10),\n    [Phone] NVARCHAR(24),\n    [Fax] NVARCHAR(24),\n    [Email] NVARCHAR(60)  NOT NULL,',
      '[PostalCode] INTEGER,\n    [Phone] NVARCHAR(24),\n    [Fax] NVARCHAR(24),\n    [Email] NVARCHAR(60)  NOT NULL,',
    ]);
    const e = evolve(sql, { Customer: 'CustomerId, Email' });
    expect(e.ops.map((op) => [op.action, op.dataLoss, op.risk])).toEqual([['rebuild-table', true, 'destructive']]);
    e.expectRowsKept();
  });
});
