import type { Index, Table } from '@isotyp/protocol';
import { isIndexed } from '../lint/rules/hygiene.js';
import { type Detector, indexOn, isAttached, ref, rowsOf, suggest, tablesOf } from './detector.js';

/** Rows above which a missing index on a foreign key is felt on every parent delete. */
const BIG_TABLE_ROWS = 10_000;

export const fkWithoutIndex: Detector = {
  kind: 'fk-without-index',
  summary: 'A foreign key whose columns no index starts with: deleting or updating a parent row scans the child table.',
  detect: (context) =>
    [...tablesOf(context.model, { partitions: true })].flatMap(({ namespace, table }) =>
      table.foreignKeys
        .filter((fk) => !isIndexed(table, fk.columns))
        .map((fk) => {
          const rows = rowsOf(context, namespace, table.name);
          return suggest({
            kind: 'fk-without-index',
            objects: [ref('foreign-key', namespace, `${table.name}.${fk.name}`), ref('table', namespace, table.name)],
            rationale: `${table.name}(${fk.columns.join(', ')}) references ${fk.refTable}, but no index starts with those columns: every delete or key update on ${fk.refTable} scans ${table.name}, and joins on the key cannot use an index.`,
            edits: [
              { op: 'add-index', namespace, table: table.name, index: indexOn(context.model, table, fk.columns) },
            ],
            impact: rows >= BIG_TABLE_ROWS ? 'high' : 'medium',
            confidence: 0.9,
            risk: 'safe',
            evidence: { rows },
          });
        }),
    ),
};

/**
 * An index's key as comparable text: column or expression, order, collation, operator class.
 * NULLS LAST on an ascending key (FIRST on a descending one) is the default whichever way it
 * was spelled, so it compares equal to a key constraint's.
 */
function keyText(index: Index): string[] {
  return index.keys.map((k) => {
    const nulls = k.nulls === null || k.nulls === (k.order === 'asc' ? 'last' : 'first') ? '' : k.nulls;
    return [k.column ?? `(${k.expression})`, k.order, nulls, k.collation ?? '', k.opclass ?? ''].join(' ');
  });
}

/** Everything but the name and uniqueness: two indexes with the same shape serve the same lookups. */
function shapeOf(index: Index): string {
  return JSON.stringify([index.method ?? '', index.where ?? '', [...index.include].sort(), keyText(index)]);
}

/** Key columns of the primary key and unique constraints, as plain ascending index keys. */
function constraintKeys(table: Table): { name: string; keys: string[] }[] {
  const asKeys = (columns: string[]) => columns.map((c) => [c, 'asc', '', '', ''].join(' '));
  return [
    ...(table.primaryKey === null
      ? []
      : [{ name: table.primaryKey.name ?? 'primary key', keys: asKeys(table.primaryKey.columns) }]),
    ...table.uniques.map((u) => ({ name: u.name, keys: asKeys(u.columns) })),
  ];
}

/** Plain, whole-table b-tree indexes: the only ones whose keys can be compared by prefix. */
const plain = (index: Index) =>
  index.where === null && index.include.length === 0 && (index.method === null || index.method === 'btree');

export const duplicateIndex: Detector = {
  kind: 'duplicate-index',
  summary: 'Two indexes (or an index and a key constraint) with the same keys: every write maintains both for nothing.',
  detect: (context) =>
    [...tablesOf(context.model, { partitions: true })].flatMap(({ namespace, table }) => {
      const found = [];
      const constraints = constraintKeys(table);
      const seen = new Map<string, Index>();
      // Unique ones first, so the one kept is the one that also enforces something; then those
      // attached to a parent's index, which cannot be dropped alone.
      const attached = (i: Index) => Number(isAttached(context, namespace, i.name));
      const ordered = [...table.indexes].sort(
        (a, b) => Number(b.unique) - Number(a.unique) || attached(b) - attached(a) || (a.name < b.name ? -1 : 1),
      );
      for (const index of ordered) {
        if (index.invalid) continue;
        const twinConstraint = plain(index)
          ? constraints.find((c) => JSON.stringify(c.keys) === JSON.stringify(keyText(index)))
          : undefined;
        const twin = seen.get(shapeOf(index));
        const keptName = twinConstraint?.name ?? twin?.name;
        if (keptName === undefined || isAttached(context, namespace, index.name)) {
          seen.set(shapeOf(index), index);
          continue;
        }
        found.push(
          suggest({
            kind: 'duplicate-index',
            objects: [ref('index', namespace, `${table.name}.${index.name}`), ref('table', namespace, table.name)],
            rationale: `${index.name} on ${table.name} has the same keys as ${keptName}: it serves no lookup the other does not, and every insert, update and delete maintains it.`,
            edits: [{ op: 'drop-index', namespace, table: table.name, index: index.name }],
            impact: rowsOf(context, namespace, table.name) >= BIG_TABLE_ROWS ? 'medium' : 'low',
            confidence: 0.95,
            risk: 'caution',
            evidence: { duplicateOf: keptName },
          }),
        );
      }
      return found;
    }),
};

export const redundantIndex: Detector = {
  kind: 'redundant-index',
  summary:
    'A non-unique index whose keys begin another index or key constraint: the longer one serves its lookups too.',
  detect: (context) =>
    [...tablesOf(context.model, { partitions: true })].flatMap(({ namespace, table }) => {
      const longer = [
        ...table.indexes.filter((i) => plain(i) && !i.invalid).map((i) => ({ name: i.name, keys: keyText(i) })),
        ...constraintKeys(table),
      ];
      return table.indexes
        .filter(
          (index) => plain(index) && !index.unique && !index.invalid && !isAttached(context, namespace, index.name),
        )
        .flatMap((index) => {
          const keys = keyText(index);
          const cover = longer.find(
            (other) =>
              other.name !== index.name &&
              other.keys.length > keys.length &&
              keys.every((key, i) => other.keys[i] === key),
          );
          if (cover === undefined) return [];
          return [
            suggest({
              kind: 'redundant-index',
              objects: [ref('index', namespace, `${table.name}.${index.name}`), ref('table', namespace, table.name)],
              rationale: `The keys of ${index.name} (${index.keys.map((k) => k.column).join(', ')}) begin ${cover.name}, which serves the same lookups; ${index.name} only costs writes and space.`,
              edits: [{ op: 'drop-index', namespace, table: table.name, index: index.name }],
              impact: 'low',
              confidence: 0.8,
              risk: 'caution',
              evidence: { coveredBy: cover.name },
            }),
          ];
        });
    }),
};

export const missingPrimaryKey: Detector = {
  kind: 'missing-primary-key',
  summary:
    'A table without a primary key: rows cannot be told apart, logical replication cannot update it, ORMs struggle.',
  detect: (context) =>
    [...tablesOf(context.model)]
      .filter(({ table }) => table.primaryKey === null && !table.options.partitionBy)
      .map(({ namespace, table }) => {
        // A unique key over NOT NULL columns already identifies rows: promote it.
        const notNull = (columns: string[]) =>
          columns.every((c) => table.columns.find((col) => col.name === c)?.nullable === false);
        const candidate =
          table.uniques.find((u) => notNull(u.columns))?.columns ??
          table.indexes
            .find(
              (i) =>
                i.unique &&
                plain(i) &&
                i.keys.every((k) => k.column !== null) &&
                notNull(i.keys.map((k) => k.column as string)),
            )
            ?.keys.map((k) => k.column as string);
        return suggest({
          kind: 'missing-primary-key',
          objects: [ref('table', namespace, table.name)],
          rationale:
            candidate === undefined
              ? `${table.name} has no primary key and no unique NOT NULL key to promote: choose the column(s) that identify a row, or add a surrogate key.`
              : `${table.name} has no primary key, but (${candidate.join(', ')}) is unique and NOT NULL: make it the primary key.`,
          edits:
            candidate === undefined
              ? []
              : [{ op: 'add-primary-key', namespace, table: table.name, columns: candidate }],
          impact: 'medium',
          confidence: candidate === undefined ? 0.7 : 0.9,
          risk: 'caution',
        });
      }),
};

const TIMESTAMP = /^timestamp(\(\d\))? without time zone$/;

export const timestampWithoutTimeZone: Detector = {
  kind: 'timestamp-without-time-zone',
  dialect: 'postgres',
  summary: '`timestamp` without time zone stores wall-clock readings: instants are ambiguous across zones and DST.',
  detect: (context) =>
    [...tablesOf(context.model)].flatMap(({ namespace, table }) =>
      table.columns
        .filter((column) => TIMESTAMP.test(column.type) && column.generated === null)
        .map((column) =>
          suggest({
            kind: 'timestamp-without-time-zone',
            objects: [ref('column', namespace, `${table.name}.${column.name}`)],
            rationale: `${table.name}.${column.name} is ${column.type}: it records a wall-clock time with no zone, so the same value means different instants to clients in different zones. timestamp with time zone stores the instant (PostgreSQL's own advice).`,
            edits: [
              {
                op: 'alter-column-type',
                namespace,
                table: table.name,
                column: column.name,
                type: column.type.replace('without', 'with'),
              },
            ],
            impact: 'low',
            confidence: 0.75,
            risk: 'caution',
          }),
        ),
    ),
};

export const structureRules: Detector[] = [
  fkWithoutIndex,
  duplicateIndex,
  redundantIndex,
  missingPrimaryKey,
  timestampWithoutTimeZone,
];
