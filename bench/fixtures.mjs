// Realistic inputs for benchmarks, shaped like the protocol's messages
// (packages/protocol/src/messages): the Chinook sample database as a schema model, a plan of
// about 5 KB against it, and an approval payload. Built in code so benchmarks need no database.

const DIGEST_A = `sha256:${'3f'.repeat(32)}`;
const DIGEST_B = `sha256:${'a4'.repeat(32)}`;

/** Chinook's 11 tables (examples/chinook-sqlite/chinook.sql): [name, columns, pk, fks]. */
const CHINOOK = [
  ['Album', ['AlbumId INTEGER!', 'Title NVARCHAR(160)!', 'ArtistId INTEGER!'], ['AlbumId'], [['ArtistId', 'Artist']]],
  ['Artist', ['ArtistId INTEGER!', 'Name NVARCHAR(120)'], ['ArtistId'], []],
  [
    'Customer',
    [
      'CustomerId INTEGER!',
      'FirstName NVARCHAR(40)!',
      'LastName NVARCHAR(20)!',
      'Company NVARCHAR(80)',
      'Address NVARCHAR(70)',
      'City NVARCHAR(40)',
      'State NVARCHAR(40)',
      'Country NVARCHAR(40)',
      'PostalCode NVARCHAR(10)',
      'Phone NVARCHAR(24)',
      'Fax NVARCHAR(24)',
      'Email NVARCHAR(60)!',
      'SupportRepId INTEGER',
    ],
    ['CustomerId'],
    [['SupportRepId', 'Employee', 'EmployeeId']],
  ],
  [
    'Employee',
    [
      'EmployeeId INTEGER!',
      'LastName NVARCHAR(20)!',
      'FirstName NVARCHAR(20)!',
      'Title NVARCHAR(30)',
      'ReportsTo INTEGER',
      'BirthDate DATETIME',
      'HireDate DATETIME',
      'Address NVARCHAR(70)',
      'City NVARCHAR(40)',
      'State NVARCHAR(40)',
      'Country NVARCHAR(40)',
      'PostalCode NVARCHAR(10)',
      'Phone NVARCHAR(24)',
      'Fax NVARCHAR(24)',
      'Email NVARCHAR(60)',
    ],
    ['EmployeeId'],
    [['ReportsTo', 'Employee', 'EmployeeId']],
  ],
  ['Genre', ['GenreId INTEGER!', 'Name NVARCHAR(120)'], ['GenreId'], []],
  [
    'Invoice',
    [
      'InvoiceId INTEGER!',
      'CustomerId INTEGER!',
      'InvoiceDate DATETIME!',
      'BillingAddress NVARCHAR(70)',
      'BillingCity NVARCHAR(40)',
      'BillingState NVARCHAR(40)',
      'BillingCountry NVARCHAR(40)',
      'BillingPostalCode NVARCHAR(10)',
      'Total NUMERIC(10,2)!',
    ],
    ['InvoiceId'],
    [['CustomerId', 'Customer']],
  ],
  [
    'InvoiceLine',
    [
      'InvoiceLineId INTEGER!',
      'InvoiceId INTEGER!',
      'TrackId INTEGER!',
      'UnitPrice NUMERIC(10,2)!',
      'Quantity INTEGER!',
    ],
    ['InvoiceLineId'],
    [
      ['InvoiceId', 'Invoice'],
      ['TrackId', 'Track'],
    ],
  ],
  ['MediaType', ['MediaTypeId INTEGER!', 'Name NVARCHAR(120)'], ['MediaTypeId'], []],
  ['Playlist', ['PlaylistId INTEGER!', 'Name NVARCHAR(120)'], ['PlaylistId'], []],
  [
    'PlaylistTrack',
    ['PlaylistId INTEGER!', 'TrackId INTEGER!'],
    ['PlaylistId', 'TrackId'],
    [
      ['PlaylistId', 'Playlist'],
      ['TrackId', 'Track'],
    ],
  ],
  [
    'Track',
    [
      'TrackId INTEGER!',
      'Name NVARCHAR(200)!',
      'AlbumId INTEGER',
      'MediaTypeId INTEGER!',
      'GenreId INTEGER',
      'Composer NVARCHAR(220)',
      'Milliseconds INTEGER!',
      'Bytes INTEGER',
      'UnitPrice NUMERIC(10,2)!',
    ],
    ['TrackId'],
    [
      ['AlbumId', 'Album'],
      ['GenreId', 'Genre'],
      ['MediaTypeId', 'MediaType'],
    ],
  ],
];

function column(spec) {
  const [name, rawType] = spec.split(' ');
  const notNull = rawType.endsWith('!');
  return {
    name,
    type: (notNull ? rawType.slice(0, -1) : rawType).toLowerCase(),
    nullable: !notNull,
    default: null,
    identity: null,
    generated: null,
    collation: null,
    comment: null,
  };
}

/** The Chinook database as the agent's dialect-neutral schema model (about 15 KB of JSON). */
export function chinookModel() {
  const tables = CHINOOK.map(([name, columns, pk, fks]) => ({
    name,
    columns: columns.map(column),
    primaryKey: { name: `PK_${name}`, columns: pk },
    uniques: [],
    // Chinook indexes every foreign-key column (IFK_<table><column>).
    indexes: fks.map(([col]) => ({
      name: `IFK_${name}${col}`,
      unique: false,
      keys: [{ column: col, expression: null, order: 'asc', nulls: null, collation: null }],
      include: [],
      where: null,
      method: null,
      comment: null,
    })),
    foreignKeys: fks.map(([col, refTable, refColumn = col], i) => ({
      name: `fk_${name}_${i}`,
      columns: [col],
      refSchema: null,
      refTable,
      refColumns: [refColumn],
      onDelete: 'no-action',
      onUpdate: 'no-action',
      match: 'simple',
      deferrable: false,
      initiallyDeferred: false,
    })),
    checks: [],
    options: {},
    comment: null,
  }));
  return {
    v: 1,
    dialect: 'sqlite',
    namespaces: [
      {
        name: 'main',
        tables,
        views: [],
        enums: [],
        domains: [],
        sequences: [],
        routines: [],
        triggers: [],
        comment: null,
      },
    ],
  };
}

function op(action, kind, name, up, down, extra = {}) {
  return {
    action,
    object: { kind, namespace: 'main', name },
    up,
    down,
    irreversibleReason: down === null ? 'the dropped data cannot be restored' : null,
    risk: 'safe',
    lock: 'writes-blocked',
    dataLoss: false,
    transactional: true,
    ...extra,
  };
}

/** A plan of about 5 KB: a dozen operations against Chinook, as `isotyp plan` would emit. */
export function planLike() {
  const ops = [
    op(
      'add-column',
      'column',
      'Customer.LoyaltyTier',
      ['ALTER TABLE "Customer" ADD COLUMN "LoyaltyTier" text NOT NULL DEFAULT \'standard\''],
      ['ALTER TABLE "Customer" DROP COLUMN "LoyaltyTier"'],
    ),
    op(
      'add-column',
      'column',
      'Track.ReleasedAt',
      ['ALTER TABLE "Track" ADD COLUMN "ReleasedAt" datetime'],
      ['ALTER TABLE "Track" DROP COLUMN "ReleasedAt"'],
    ),
    op(
      'create-table',
      'table',
      'TrackReview',
      [
        'CREATE TABLE "TrackReview" ("TrackReviewId" integer NOT NULL PRIMARY KEY, "TrackId" integer NOT NULL ' +
          'REFERENCES "Track" ("TrackId"), "CustomerId" integer NOT NULL REFERENCES "Customer" ("CustomerId"), ' +
          '"Rating" integer NOT NULL CHECK ("Rating" BETWEEN 1 AND 5), "Body" text, "CreatedAt" datetime NOT NULL)',
      ],
      ['DROP TABLE "TrackReview"'],
      { lock: 'none' },
    ),
    op(
      'create-index',
      'index',
      'IFK_TrackReviewTrackId',
      ['CREATE INDEX "IFK_TrackReviewTrackId" ON "TrackReview" ("TrackId")'],
      ['DROP INDEX "IFK_TrackReviewTrackId"'],
    ),
    op(
      'create-index',
      'index',
      'IFK_TrackReviewCustomerId',
      ['CREATE INDEX "IFK_TrackReviewCustomerId" ON "TrackReview" ("CustomerId")'],
      ['DROP INDEX "IFK_TrackReviewCustomerId"'],
    ),
    op(
      'create-index',
      'index',
      'IX_InvoiceDate',
      ['CREATE INDEX "IX_InvoiceDate" ON "Invoice" ("InvoiceDate" DESC)'],
      ['DROP INDEX "IX_InvoiceDate"'],
    ),
    op(
      'rebuild-table',
      'table',
      'Employee',
      [
        'CREATE TABLE "Employee__new" ("EmployeeId" integer NOT NULL PRIMARY KEY, "LastName" text NOT NULL, ' +
          '"FirstName" text NOT NULL, "Title" text, "ReportsTo" integer REFERENCES "Employee__new" ("EmployeeId"), ' +
          '"BirthDate" datetime, "HireDate" datetime, "Address" text, "City" text, "State" text, "Country" text, ' +
          '"PostalCode" text, "Phone" text, "Fax" text, "Email" text NOT NULL)',
        'INSERT INTO "Employee__new" SELECT "EmployeeId", "LastName", "FirstName", "Title", "ReportsTo", ' +
          '"BirthDate", "HireDate", "Address", "City", "State", "Country", "PostalCode", "Phone", "Fax", ' +
          'coalesce("Email", \'\') FROM "Employee"',
        'DROP TABLE "Employee"',
        'ALTER TABLE "Employee__new" RENAME TO "Employee"',
        'CREATE INDEX "IFK_EmployeeReportsTo" ON "Employee" ("ReportsTo")',
      ],
      null,
      { risk: 'caution', lock: 'exclusive', irreversibleReason: 'NULL e-mail addresses become empty strings' },
    ),
    op('drop-column', 'column', 'Customer.Fax', ['ALTER TABLE "Customer" DROP COLUMN "Fax"'], null, {
      risk: 'destructive',
      dataLoss: true,
    }),
    op('drop-column', 'column', 'Employee.Fax', ['ALTER TABLE "Employee" DROP COLUMN "Fax"'], null, {
      risk: 'destructive',
      dataLoss: true,
    }),
    op(
      'replace-view',
      'view',
      'CustomerInvoiceTotals',
      [
        'DROP VIEW IF EXISTS "CustomerInvoiceTotals"',
        'CREATE VIEW "CustomerInvoiceTotals" AS SELECT c."CustomerId", c."FirstName", c."LastName", ' +
          'count(i."InvoiceId") AS "Invoices", sum(i."Total") AS "Total" FROM "Customer" c LEFT JOIN "Invoice" i ' +
          'ON i."CustomerId" = c."CustomerId" GROUP BY c."CustomerId"',
      ],
      ['DROP VIEW "CustomerInvoiceTotals"'],
      { lock: 'none' },
    ),
  ];
  return { v: 1, dialect: 'sqlite', fromDigest: DIGEST_A, toDigest: DIGEST_B, ops, planDigest: DIGEST_B };
}

/** What an approver signs (DESIGN.md, trust model §2). */
export function approvalPayload() {
  return {
    changeId: 'chg_01J9Z6Q4W8K3M2N5P7R9T1V3X5',
    planDigest: DIGEST_B,
    layer: 'dba-review',
    decision: 'approve',
    expiresAt: '2030-01-01T00:00:00.000Z',
  };
}
