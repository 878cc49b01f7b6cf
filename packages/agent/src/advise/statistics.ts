import type pg from 'pg';
import { notExtensionMember, userNamespace } from '../dialects/postgres/catalog-sql.js';
import { type AdviceContext, type Detector, indexOn, ref, suggest, tablesOf } from './detector.js';

/**
 * What PostgreSQL's cumulative statistics say about the target, read at the site: index and
 * table usage since the statistics were last reset, how far each sequence has gone, and — when
 * the pg_stat_statements extension is installed — the heaviest statements' normalised text
 * (constants are already `$n` there). None of it is sent anywhere.
 */
export interface PostgresStatistics {
  /**
   * Since when the statistics have been gathered: their last reset or, when they never were
   * reset, the server's start (statistics outlive clean restarts, so this errs on the young side).
   */
  statsSince: string;
  now: string;
  /** Keyed `namespace.index`. */
  indexes: Map<string, { table: string; scans: number; unique: boolean; constraint: boolean }>;
  /** Keyed `namespace.table`. */
  tables: Map<string, { seqScans: number; seqRowsRead: number; indexScans: number; liveRows: number }>;
  /** Keyed `namespace.sequence`: last value, maximum, and the `table.column` owning it. */
  sequences: Map<string, { lastValue: number | null; max: number; ownedBy: string | null; type: string }>;
  /** The heaviest statements by total time, when pg_stat_statements is installed. */
  statements: { query: string; calls: number }[] | null;
  /** Indexes attached to a partitioned parent's index (`namespace.index`): not droppable alone. */
  attachedIndexes: Set<string>;
}

const indexSql = `
SELECT n.nspname AS schema, i.relname AS name, t.relname AS table, coalesce(s.idx_scan, 0)::int8 AS scans,
  x.indisunique AS unique, EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) AS constraint
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = x.indexrelid
WHERE ${userNamespace('n')} AND ${notExtensionMember('pg_class', 't.oid')}`;

const tableSql = `
SELECT schemaname AS schema, relname AS name, seq_scan::int8 AS seq_scans, seq_tup_read::int8 AS seq_rows,
  coalesce(idx_scan, 0)::int8 AS idx_scans, n_live_tup::int8 AS live_rows
FROM pg_stat_user_tables`;

const sequenceSql = `
SELECT s.schemaname AS schema, s.sequencename AS name, s.last_value::text AS last_value, s.max_value::text AS max,
  s.data_type::text AS type,
  (SELECT t.relname || '.' || a.attname FROM pg_depend d
     JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass
       AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
     LIMIT 1) AS owned_by
FROM pg_sequences s
WHERE s.schemaname NOT IN ('information_schema', 'isotyp') AND s.schemaname NOT LIKE 'pg\\_%'`;

/**
 * Reads the statistics the advisor weighs. pg_stat_statements is read only when the extension is
 * installed in this database (and only its normalised query text and call counts).
 */
export async function readPostgresStatistics(client: pg.ClientBase): Promise<PostgresStatistics> {
  // One query at a time: a pg client must not be handed a query while busy.
  const reset = await client.query<{ since: Date; now: Date }>(
    'SELECT coalesce(stats_reset, pg_postmaster_start_time()) AS since, now() AS now FROM pg_stat_database WHERE datname = current_database()',
  );
  const indexes = await client.query<{
    schema: string;
    name: string;
    table: string;
    scans: string;
    unique: boolean;
    constraint: boolean;
  }>(indexSql);
  const tables = await client.query<{
    schema: string;
    name: string;
    seq_scans: string;
    seq_rows: string;
    idx_scans: string;
    live_rows: string;
  }>(tableSql);
  const sequences = await client.query<{
    schema: string;
    name: string;
    last_value: string | null;
    max: string;
    type: string;
    owned_by: string | null;
  }>(sequenceSql);
  const extension = await client.query<{ schema: string }>(
    "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'",
  );
  const attached = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'i'`,
  );
  let statements: PostgresStatistics['statements'] = null;
  const schema = extension.rows[0]?.schema;
  if (schema !== undefined) {
    try {
      const result = await client.query<{ query: string; calls: string }>(
        `SELECT query, calls::int8 AS calls FROM ${quoteIdent(schema)}.pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time DESC LIMIT 500`,
      );
      statements = result.rows.map((r) => ({ query: r.query, calls: Number(r.calls) }));
    } catch {
      // Installed but not preloaded (shared_preload_libraries): no statement statistics.
      statements = null;
    }
  }
  const row = reset.rows[0];
  const now = (row?.now ?? new Date()).toISOString();
  return {
    statsSince: row?.since ? row.since.toISOString() : now,
    now,
    indexes: new Map(
      indexes.rows.map((r) => [
        `${r.schema}.${r.name}`,
        { table: r.table, scans: Number(r.scans), unique: r.unique, constraint: r.constraint },
      ]),
    ),
    tables: new Map(
      tables.rows.map((r) => [
        `${r.schema}.${r.name}`,
        {
          seqScans: Number(r.seq_scans),
          seqRowsRead: Number(r.seq_rows),
          indexScans: Number(r.idx_scans),
          liveRows: Number(r.live_rows),
        },
      ]),
    ),
    sequences: new Map(
      sequences.rows.map((r) => [
        `${r.schema}.${r.name}`,
        {
          lastValue: r.last_value === null ? null : Number(r.last_value),
          max: Number(r.max),
          ownedBy: r.owned_by,
          type: r.type,
        },
      ]),
    ),
    statements,
    attachedIndexes: new Set(attached.rows.map((r) => `${r.schema}.${r.name}`)),
  };
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Statistics younger than this say little about what is never used (`minStatisticsAgeDays`). */
export const MATURE_STATISTICS_DAYS = 7;

/** Days of statistics behind the numbers. */
export function statisticsAgeDays(stats: PostgresStatistics): number {
  return (Date.parse(stats.now) - Date.parse(stats.statsSince)) / 86_400_000;
}

export const unusedIndex: Detector = {
  kind: 'unused-index',
  dialect: 'postgres',
  needs: 'mature-statistics',
  summary: 'An index no query has used in a week or more of statistics: it costs every write and its space.',
  detect: (context) => {
    const stats = context.statistics;
    if (stats === undefined) return [];
    const age = statisticsAgeDays(stats);
    return [...tablesOf(context.model, { partitions: true })].flatMap(({ namespace, table }) => {
      const usage = stats.tables.get(`${namespace}.${table.name}`);
      // A table nobody has read says nothing about its indexes.
      if (usage === undefined || usage.seqScans + usage.indexScans === 0) return [];
      return table.indexes.flatMap((index) => {
        const seen = stats.indexes.get(`${namespace}.${index.name}`);
        if (seen === undefined || seen.scans > 0 || seen.unique || seen.constraint || index.invalid) return [];
        if (stats.attachedIndexes.has(`${namespace}.${index.name}`)) return [];
        return [
          suggest({
            kind: 'unused-index',
            objects: [ref('index', namespace, `${table.name}.${index.name}`), ref('table', namespace, table.name)],
            rationale: `No query has used ${index.name} in ${Math.floor(age)} day(s) of statistics (since ${stats.statsSince.slice(0, 10)}), while ${table.name} was read ${usage.seqScans + usage.indexScans} times. Check replicas (their usage is not counted here) before dropping it.`,
            edits: [{ op: 'drop-index', namespace, table: table.name, index: index.name }],
            impact: usage.liveRows >= 10_000 ? 'medium' : 'low',
            confidence: age >= 30 ? 0.85 : 0.75,
            risk: 'caution',
            evidence: {
              scans: 0,
              tableReads: usage.seqScans + usage.indexScans,
              statsAgeDays: age === null ? -1 : Math.floor(age),
            },
          }),
        ];
      });
    });
  },
};

/** A table counts as scan-heavy past these. */
const SEQ_SCANS = 50;
const ROWS_PER_SCAN = 1_000;

/** `WHERE col = $1`-style lookups of `table` in normalised statement text. */
function filteredColumns(statements: readonly { query: string; calls: number }[], table: string, columns: string[]) {
  const counts = new Map<string, number>();
  const mentions = new RegExp(`\\b(?:from|join)\\s+(?:"?\\w+"?\\.)?"?${escapeRegExp(table)}"?\\b`, 'i');
  for (const { query, calls } of statements) {
    if (!mentions.test(query)) continue;
    for (const column of columns) {
      const filter = new RegExp(
        `\\b(?:where|and)\\s+(?:"?\\w+"?\\.)?"?${escapeRegExp(column)}"?\\s*(?:=|in\\b|<|>|between\\b)`,
        'i',
      );
      if (filter.test(query)) counts.set(column, (counts.get(column) ?? 0) + calls);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const seqScanHeavy: Detector = {
  kind: 'seq-scan-heavy',
  dialect: 'postgres',
  needs: 'statistics',
  summary: 'A large table read mostly by sequential scans: an index on what queries filter by would serve them.',
  detect: (context) => {
    const stats = context.statistics;
    if (stats === undefined) return [];
    return [...tablesOf(context.model)].flatMap(({ namespace, table }) => {
      const usage = stats.tables.get(`${namespace}.${table.name}`);
      if (
        usage === undefined ||
        usage.seqScans < SEQ_SCANS ||
        usage.seqRowsRead / usage.seqScans < ROWS_PER_SCAN ||
        usage.seqScans <= usage.indexScans
      )
        return [];
      const indexedFirst = new Set(table.indexes.map((i) => i.keys[0]?.column).filter((c) => c != null));
      if (table.primaryKey !== null) indexedFirst.add(table.primaryKey.columns[0] as string);
      const candidates =
        stats.statements === null
          ? []
          : filteredColumns(
              stats.statements,
              table.name,
              table.columns.map((c) => c.name).filter((c) => !indexedFirst.has(c)),
            );
      const column = candidates[0]?.[0];
      return [
        suggest({
          kind: 'seq-scan-heavy',
          objects: [
            ref('table', namespace, table.name),
            ...(column === undefined ? [] : [ref('column', namespace, `${table.name}.${column}`)]),
          ],
          rationale:
            column === undefined
              ? `${table.name} was read by ${usage.seqScans} sequential scans (${Math.round(usage.seqRowsRead / usage.seqScans)} rows each on average) against ${usage.indexScans} index scans. ${stats.statements === null ? 'Install pg_stat_statements to see which filters to index.' : 'No filter on an unindexed column stands out in pg_stat_statements; look at the plans.'}`
              : `${table.name} was read by ${usage.seqScans} sequential scans (${Math.round(usage.seqRowsRead / usage.seqScans)} rows each on average); pg_stat_statements shows queries filtering on ${column}, which no index starts with.`,
          edits:
            column === undefined
              ? []
              : [{ op: 'add-index', namespace, table: table.name, index: indexOn(context.model, table, [column]) }],
          impact: 'high',
          confidence: column === undefined ? 0.5 : 0.7,
          risk: 'safe',
          evidence: {
            seqScans: usage.seqScans,
            rowsPerScan: Math.round(usage.seqRowsRead / usage.seqScans),
            indexScans: usage.indexScans,
          },
        }),
      ];
    });
  },
};

/** Share of an integer type's range a key may use before it is flagged. */
const OVERFLOW_SHARE = 0.5;
const INT_TYPES = new Set(['integer', 'smallint']);

export const intKeyOverflow: Detector = {
  kind: 'int-key-overflow',
  dialect: 'postgres',
  needs: 'statistics',
  summary: 'An integer key whose sequence has used much of the type’s range: inserts fail when it runs out.',
  detect: (context: AdviceContext) => {
    const stats = context.statistics;
    if (stats === undefined) return [];
    const found = [];
    for (const [key, sequence] of stats.sequences) {
      if (sequence.lastValue === null || sequence.ownedBy === null) continue;
      const namespace = key.slice(0, key.indexOf('.'));
      const [tableName, columnName] = sequence.ownedBy.split('.') as [string, string];
      const table = context.model.namespaces
        .find((n) => n.name === namespace)
        ?.tables.find((t) => t.name === tableName);
      const column = table?.columns.find((c) => c.name === columnName);
      if (table === undefined || column === undefined || !INT_TYPES.has(column.type)) continue;
      const typeMax = column.type === 'smallint' ? 32_767 : 2_147_483_647;
      const used = sequence.lastValue / Math.min(typeMax, sequence.max);
      if (used < OVERFLOW_SHARE) continue;
      // The columns that reference this key must grow with it.
      const referencing = [...tablesOf(context.model)].flatMap(({ namespace: ns, table: t }) =>
        t.foreignKeys
          .filter(
            (fk) =>
              fk.refTable === tableName && (fk.refSchema ?? ns) === namespace && fk.refColumns.includes(columnName),
          )
          .map((fk) => ({ ns, table: t.name, column: fk.columns[fk.refColumns.indexOf(columnName)] as string })),
      );
      found.push(
        suggest({
          kind: 'int-key-overflow',
          objects: [
            ref('column', namespace, `${tableName}.${columnName}`),
            ref('sequence', namespace, key.slice(namespace.length + 1)),
          ],
          rationale: `${tableName}.${columnName} is ${column.type} and its sequence is at ${sequence.lastValue} — ${Math.round(used * 100)}% of the range. Inserts fail when it runs out; bigint (with the ${referencing.length} column(s) referencing it) removes the limit.${sequence.type === 'bigint' ? '' : ' Widen the sequence too (ALTER SEQUENCE … AS bigint) if it is not an identity.'}`,
          edits: [
            { op: 'alter-column-type', namespace, table: tableName, column: columnName, type: 'bigint' },
            ...referencing.map((r) => ({
              op: 'alter-column-type' as const,
              namespace: r.ns,
              table: r.table,
              column: r.column,
              type: 'bigint',
            })),
          ],
          impact: 'high',
          confidence: Math.min(0.99, 0.6 + used * 0.4),
          risk: 'caution',
          evidence: { usedPercent: Math.round(used * 100) },
        }),
      );
    }
    return found;
  },
};

export const statisticsRules: Detector[] = [unusedIndex, seqScanHeavy, intKeyOverflow];
