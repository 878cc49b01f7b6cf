import type { SuggestionKind } from '@isotyp/protocol';

/**
 * The schema advisor's labelled corpus: for each schema, every problem a careful DBA finds in it,
 * per detector, written by reading the schema (the comments say why). The corpus test runs the
 * advisor on a real database of each and reports precision and recall per detector.
 *
 * A label names what a suggestion is about, as `labelKey` spells it: `table(columns)` for a
 * foreign key, `table.index` for an index, `table` for a table, `table.column` for a column.
 */
export interface CorpusCase {
  name: string;
  dialect: 'sqlite' | 'postgres';
  /** Which detectors this case judges: a detector not listed is not scored on it. */
  judged: SuggestionKind[];
  expected: Partial<Record<SuggestionKind, string[]>>;
}

const structure: SuggestionKind[] = ['fk-without-index', 'duplicate-index', 'redundant-index', 'missing-primary-key'];

export const corpus: CorpusCase[] = [
  {
    // packages/agent/src/advise/corpus/shop-sqlite.sql, with rows inserted by the test.
    name: 'shop (SQLite, crafted)',
    dialect: 'sqlite',
    judged: [...structure, 'nullable-without-nulls'],
    expected: {
      // customer_id has no index; order_line.product_id and wishlist.product_id are not the
      // first key column of anything. order_line.order_id, tag.product_id and
      // wishlist.customer_id are covered by a primary key or unique constraint.
      'fk-without-index': ['order(customer_id)', 'order_line(product_id)', 'wishlist(product_id)'],
      // product_sku_idx repeats the unique product_sku_key; the wishlist index repeats its key.
      'duplicate-index': ['product.product_sku_idx', 'wishlist.wishlist_customer_product_idx'],
      // order_line_order_idx (order_id) begins the primary key (order_id, line_no).
      'redundant-index': ['order_line.order_line_order_idx'],
      'missing-primary-key': ['audit_event', 'setting'],
      // The test fills customer.name and order.status in every row; customer.note is NULL in some.
      'nullable-without-nulls': ['customer.name', 'order.status'],
    },
  },
  {
    // Chinook 1.4.5 for SQLite (examples/chinook-sqlite/chinook.sql): every foreign key has its
    // IFK_ index and every table a primary key, but IFK_PlaylistTrackPlaylistId (PlaylistId)
    // begins the primary key (PlaylistId, TrackId).
    name: 'Chinook (SQLite)',
    dialect: 'sqlite',
    judged: structure,
    expected: { 'redundant-index': ['PlaylistTrack.IFK_PlaylistTrackPlaylistId'] },
  },
  {
    // packages/agent/src/advise/corpus/shop-postgres.sql, after the test's workload.
    name: 'shop (PostgreSQL, crafted, with statistics)',
    dialect: 'postgres',
    judged: [
      ...structure,
      'timestamp-without-time-zone',
      'unused-index',
      'seq-scan-heavy',
      'int-key-overflow',
      'nullable-without-nulls',
    ],
    expected: {
      'fk-without-index': ['ticket(account_id)'],
      // event_kind_idx (kind) begins event_kind_happened_idx (kind, happened_at).
      'redundant-index': ['event.event_kind_idx'],
      'missing-primary-key': ['legacy_import'],
      'timestamp-without-time-zone': ['account.created_at'],
      // The workload reads event through event_account_idx and event_kind_happened_idx only.
      'unused-index': ['event.event_kind_idx'],
      // Sixty scans of 20,000 rows filtering on region, which nothing indexes.
      'seq-scan-heavy': ['log_line'],
      // counter's identity sequence is set past 1.9 billion of integer's 2.1 billion.
      'int-key-overflow': ['counter.id'],
      // account.region is filled in every row the workload inserts; ticket has no rows.
      'nullable-without-nulls': ['account.region'],
    },
  },
  {
    // Chinook for PostgreSQL (examples/chinook-postgres/chinook.sql): invoice_date, birth_date
    // and hire_date are TIMESTAMP (without time zone); playlist_track_playlist_id_idx
    // (playlist_id) begins the primary key (playlist_id, track_id).
    name: 'Chinook (PostgreSQL)',
    dialect: 'postgres',
    judged: [...structure, 'timestamp-without-time-zone'],
    expected: {
      'redundant-index': ['playlist_track.playlist_track_playlist_id_idx'],
      'timestamp-without-time-zone': ['employee.birth_date', 'employee.hire_date', 'invoice.invoice_date'],
    },
  },
  {
    // Pagila (examples/pagila-postgres/schema.sql). Unindexed foreign keys: film_category
    // (category_id second in its key), inventory (film_id second in idx_store_id_film_id),
    // rental (customer_id third in its unique index; staff_id nowhere), staff and store, and the
    // rental_id keys of the six 2022 payment partitions. Those partitions also carry customer_id
    // twice (idx_fk_…_customer_id and …_customer_id_idx). Partitions take their primary key from
    // payment's, so none lacks one; every timestamp has a time zone.
    name: 'Pagila (PostgreSQL)',
    dialect: 'postgres',
    judged: [...structure, 'timestamp-without-time-zone'],
    expected: {
      'fk-without-index': [
        'film_category(category_id)',
        'inventory(film_id)',
        ...[1, 2, 3, 4, 5, 6].map((m) => `payment_p2022_0${m}(rental_id)`),
        'rental(customer_id)',
        'rental(staff_id)',
        'staff(address_id)',
        'staff(store_id)',
        'store(address_id)',
      ],
      'duplicate-index': [1, 2, 3, 4, 5, 6].map((m) => `payment_p2022_0${m}.payment_p2022_0${m}_customer_id_idx`),
    },
  },
];
