import { describe, expect, it } from 'vitest';
import { semverBump } from '../../plan/semver.js';
import { actions, CHINOOK_DDL, edit, evolveChinook as evolve } from '../../test-support/sqlite-round-trip.js';

/* Chinook evolutions of indexes, constraints, renames, whole tables, views and triggers. */

const LINE_TRACK_FK =
  ',\n    FOREIGN KEY ([TrackId]) REFERENCES [Track] ([TrackId]) \n\t\tON DELETE NO ACTION ON UPDATE NO ACTION';

describe('SQLite planner on Chinook objects', () => {
  it('creates partial and expression indexes and drops one, none destructive', () => {
    const sql = edit(
      `${CHINOOK_DDL}
      CREATE INDEX customer_email_lower ON Customer (lower(Email) DESC) WHERE Email IS NOT NULL;
      CREATE UNIQUE INDEX customer_email ON Customer (Email COLLATE NOCASE);`,
      ['CREATE INDEX [IFK_TrackGenreId] ON [Track] ([GenreId]);', ''],
    );
    const e = evolve(sql, { Track: '*', Customer: '*' });
    expect(actions(e.ops)).toEqual([
      'drop-index IFK_TrackGenreId',
      'create-index customer_email',
      'create-index customer_email_lower',
    ]);
    expect(e.ops[2]?.up).toEqual([
      'CREATE INDEX "customer_email_lower" ON "Customer" (lower(Email) DESC) WHERE Email IS NOT NULL',
    ]);
    expect(e.ops.every((op) => op.risk !== 'destructive' && !op.dataLoss)).toBe(true);
    e.expectRowsKept();
    e.rollBackAndCheck();
  });

  it('drops an indexed column in place once its index is gone', () => {
    const e1 = evolve(
      `${CHINOOK_DDL} CREATE INDEX customer_company ON Customer (Company) WHERE Company IS NOT NULL;`,
      {},
    );
    const sql = edit(CHINOOK_DDL, ['    [Company] NVARCHAR(80),\n', '']);
    const e2 = evolve(sql, { Customer: 'CustomerId, Email' }, [], e1.db);
    expect(actions(e2.ops)).toEqual(['drop-index customer_company', 'drop-column Customer.Company']);
    e2.expectRowsKept();
  });

  it('drops and re-adds a foreign key, and adds a CHECK, by rebuilds that roll back', () => {
    const noFk = edit(CHINOOK_DDL, [LINE_TRACK_FK, '']);
    const e1 = evolve(noFk, { InvoiceLine: '*' });
    expect(actions(e1.ops)).toEqual(['rebuild-table InvoiceLine']);
    e1.expectRowsKept();
    const withChecks = edit(
      CHINOOK_DDL,
      ['[Quantity] INTEGER  NOT NULL,', '[Quantity] INTEGER  NOT NULL CHECK ([Quantity] > 0),'],
      [
        'CONSTRAINT [PK_Track] PRIMARY KEY  ([TrackId]),',
        'CONSTRAINT [PK_Track] PRIMARY KEY  ([TrackId]),\n    CONSTRAINT positive_length CHECK ([Milliseconds] > 0),',
      ],
    );
    const e2 = evolve(withChecks, { InvoiceLine: '*', Track: '*' }, [], e1.db);
    // Parents before children: Track, then InvoiceLine (which references it).
    expect(actions(e2.ops)).toEqual(['rebuild-table Track', 'rebuild-table InvoiceLine']);
    expect(e2.ops[0]?.up[0]).toContain('CONSTRAINT "positive_length" CHECK ([Milliseconds] > 0)');
    expect(e2.ops[1]?.up[0]).toContain('"Quantity" INTEGER NOT NULL CHECK ([Quantity] > 0)');
    e2.expectRowsKept();
    e2.rollBackAndCheck();
    e1.rollBackAndCheck();
  });

  it('refuses to apply a CHECK that existing rows violate, leaving the database unchanged', () => {
    const sql = edit(CHINOOK_DDL, ['[Bytes] INTEGER,', '[Bytes] INTEGER CHECK (Bytes < 1000),']);
    expect(() => evolve(sql, {})).toThrowError(expect.objectContaining({ code: 'ISOTYP_APPLY_FAILED' }));
  });

  it('renames a column and a table on hints, keeping rows; children of the table are rebuilt', () => {
    const sql = edit(
      CHINOOK_DDL,
      ['[Company] NVARCHAR(80),', '[Organization] NVARCHAR(80),'],
      ['CREATE TABLE [Playlist]', 'CREATE TABLE [Playlists]'],
      ['CONSTRAINT [PK_Playlist] PRIMARY KEY', 'CONSTRAINT [PK_Playlists] PRIMARY KEY'],
      ['REFERENCES [Playlist] ([PlaylistId])', 'REFERENCES [Playlists] ([PlaylistId])'],
    );
    const e = evolve(sql, { Customer: 'CustomerId, Company', Playlist: '*', PlaylistTrack: '*' }, [
      { kind: 'column', table: 'Customer', from: 'Company', to: 'Organization' },
      { kind: 'table', from: 'Playlist', to: 'Playlists' },
    ]);
    expect(actions(e.ops)).toEqual([
      'rename-table Playlists',
      'rename-column Customer.Organization',
      'rebuild-table Playlists',
      'rebuild-table PlaylistTrack',
    ]);
    expect(semverBump(e.ops)).toBe('major');
    e.expectRowsKept({ Customer: ['Customer', 'CustomerId, Organization AS Company'], Playlist: ['Playlists', '*'] });
    e.rollBackAndCheck();
  });

  it('creates a table referencing an existing one, then drops tables children first', () => {
    const review = `CREATE TABLE Review (
      ReviewId INTEGER PRIMARY KEY AUTOINCREMENT,
      TrackId INTEGER NOT NULL REFERENCES Track (TrackId) ON DELETE CASCADE,
      Stars INTEGER NOT NULL CHECK (Stars BETWEEN 1 AND 5),
      Body TEXT COLLATE NOCASE
    );
    CREATE INDEX review_track ON Review (TrackId);`;
    const e1 = evolve(CHINOOK_DDL + review, {});
    expect(actions(e1.ops)).toEqual(['create-table Review', 'create-index review_track']);
    expect(semverBump(e1.ops)).toBe('minor');
    e1.db.exec('INSERT INTO Review (TrackId, Stars) VALUES (1, 5), (2, 4)');
    const withoutPlaylists = edit(
      CHINOOK_DDL + review,
      [/CREATE TABLE \[Playlist\][\s\S]*?\);\n/.exec(CHINOOK_DDL)?.[0] ?? '?', ''],
      [/CREATE TABLE \[PlaylistTrack\][\s\S]*?\n\);\n/.exec(CHINOOK_DDL)?.[0] ?? '?', ''],
      ['CREATE INDEX [IFK_PlaylistTrackPlaylistId] ON [PlaylistTrack] ([PlaylistId]);', ''],
      ['CREATE INDEX [IFK_PlaylistTrackTrackId] ON [PlaylistTrack] ([TrackId]);', ''],
    );
    const e2 = evolve(withoutPlaylists, { Review: '*' }, [], e1.db);
    expect(actions(e2.ops)).toEqual(['drop-table PlaylistTrack', 'drop-table Playlist']);
    expect(e2.ops[0]).toMatchObject({ down: null, risk: 'destructive', dataLoss: true });
    expect(e2.ops[0]?.irreversibleReason).toBe('dropping table PlaylistTrack discards its rows');
    e2.expectRowsKept();
  });

  it('creates, replaces and drops views and triggers around a rebuild of the table they use', () => {
    const v1 = `
      CREATE VIEW track_summary AS SELECT t.TrackId, t.Name, a.Title FROM Track t JOIN Album a USING (AlbumId);
      CREATE VIEW long_tracks AS SELECT * FROM track_summary WHERE TrackId > 100;
      CREATE TABLE TrackAudit (TrackId INTEGER, At TEXT);
      CREATE TRIGGER track_audit AFTER UPDATE ON Track BEGIN INSERT INTO TrackAudit VALUES (new.TrackId, 'x'); END;
      CREATE TRIGGER album_guard BEFORE DELETE ON Album BEGIN SELECT RAISE(ABORT, 'no'); END;`;
    const e1 = evolve(CHINOOK_DDL + v1, {});
    expect(actions(e1.ops)).toEqual([
      'create-table TrackAudit',
      'create-view track_summary',
      'create-view long_tracks',
      'create-trigger album_guard',
      'create-trigger track_audit',
    ]);
    const v2 = edit(
      CHINOOK_DDL + v1,
      ['[Bytes] INTEGER,', '[Bytes] BIGINT,'],
      ['t.Name, a.Title', 't.Name, t.Composer, a.Title'],
      ["VALUES (new.TrackId, 'x')", "VALUES (new.TrackId, datetime('now'))"],
      ["CREATE TRIGGER album_guard BEFORE DELETE ON Album BEGIN SELECT RAISE(ABORT, 'no'); END;", ''],
    );
    const e2 = evolve(v2, { Track: '*' }, [], e1.db);
    expect(actions(e2.ops)).toEqual([
      'drop-trigger album_guard',
      'replace-trigger track_audit',
      'replace-view long_tracks',
      'replace-view track_summary',
      'rebuild-table Track',
      'replace-view track_summary',
      'replace-view long_tracks',
      'replace-trigger track_audit',
    ]);
    expect(e2.db.prepare('SELECT count(*) AS n, count(Composer) AS c FROM long_tracks').get()).toEqual({
      n: 3403,
      c: 2440,
    });
    e2.expectRowsKept();
    e2.rollBackAndCheck();
  });
});
