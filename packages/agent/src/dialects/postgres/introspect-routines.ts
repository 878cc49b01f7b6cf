import { digest, type Namespace } from '@isotyp/protocol';
import { type CatalogContext, commentJoin, notExtensionMember, rows, userNamespace } from './catalog-sql.js';
import type { InSchema } from './introspect-types.js';

type Routine = Namespace['routines'][number];
type Trigger = Namespace['triggers'][number];

interface RoutineRow {
  schema: string;
  name: string;
  kind: 'f' | 'p' | 'a' | 'w';
  arguments: string;
  language: string;
  definition: string | null;
  qualified: string;
  sfunc: string | null;
  stype: string | null;
  sspace: number | null;
  finalfunc: string | null;
  finalextra: boolean | null;
  finalmodify: string | null;
  combinefunc: string | null;
  serialfunc: string | null;
  deserialfunc: string | null;
  initcond: string | null;
  msfunc: string | null;
  minvfunc: string | null;
  mstype: string | null;
  mfinalfunc: string | null;
  minitcond: string | null;
  sortop: string | null;
  aggkind: string | null;
  parallel: string;
  comment: string | null;
}

// Functions that exist because of another object (a range type's constructors) carry an
// internal dependency on it and are left out, as are extension members.
const routinesSql = `
SELECT n.nspname AS schema, p.proname AS name, p.prokind AS kind,
  pg_get_function_identity_arguments(p.oid) AS arguments, l.lanname AS language,
  CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS definition,
  quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS qualified,
  NULLIF(a.aggtransfn::regproc::text, '-') AS sfunc, format_type(a.aggtranstype, NULL) AS stype,
  a.aggtransspace AS sspace, NULLIF(a.aggfinalfn::regproc::text, '-') AS finalfunc,
  a.aggfinalextra AS finalextra, a.aggfinalmodify AS finalmodify,
  NULLIF(a.aggcombinefn::regproc::text, '-') AS combinefunc,
  NULLIF(a.aggserialfn::regproc::text, '-') AS serialfunc,
  NULLIF(a.aggdeserialfn::regproc::text, '-') AS deserialfunc,
  quote_literal(a.agginitval) AS initcond,
  NULLIF(a.aggmtransfn::regproc::text, '-') AS msfunc,
  NULLIF(a.aggminvtransfn::regproc::text, '-') AS minvfunc,
  CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
  NULLIF(a.aggmfinalfn::regproc::text, '-') AS mfinalfunc,
  quote_literal(a.aggminitval) AS minitcond,
  CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoper::text END AS sortop,
  a.aggkind AS aggkind, p.proparallel AS parallel,
  d.description AS comment
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
${commentJoin('d', 'pg_proc', 'p.oid')}
WHERE ${userNamespace('n')} AND ${notExtensionMember('pg_proc', 'p.oid')}
  AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass
    AND x.objid = p.oid AND x.deptype = 'i')`;

const KINDS: Record<RoutineRow['kind'], Routine['kind']> = {
  f: 'function',
  w: 'function',
  p: 'procedure',
  a: 'aggregate',
};

/** Functions, procedures and aggregates, each with its full definition and its digest. */
export async function readRoutines(ctx: CatalogContext): Promise<InSchema<Routine>[]> {
  return (await rows<RoutineRow>(ctx, routinesSql)).map((r) => {
    const definition = r.kind === 'a' ? aggregateDefinition(r) : (r.definition ?? '');
    return {
      schema: r.schema,
      value: {
        name: r.name,
        kind: KINDS[r.kind],
        arguments: r.arguments,
        language: r.language,
        definition,
        definitionDigest: digest('definition', definition),
        comment: r.comment,
      },
    };
  });
}

/**
 * pg_get_functiondef refuses aggregates, so their CREATE AGGREGATE is composed from
 * pg_aggregate the way pg_dump does, naming only what differs from the defaults.
 */
function aggregateDefinition(r: RoutineRow): string {
  const orderedSet = r.aggkind !== null && r.aggkind !== 'n';
  const modify = (code: string | null): string | null => {
    const defaultCode = orderedSet ? 'w' : 'r';
    if (code === null || code === defaultCode) return null;
    return code === 'r' ? 'READ_ONLY' : code === 's' ? 'SHAREABLE' : 'READ_WRITE';
  };
  const parts: [string, string | null | undefined][] = [
    ['SFUNC', r.sfunc],
    ['STYPE', r.stype],
    ['SSPACE', r.sspace ? String(r.sspace) : null],
    ['FINALFUNC', r.finalfunc],
    ['FINALFUNC_EXTRA', r.finalextra ? '' : null],
    ['FINALFUNC_MODIFY', r.finalfunc === null ? null : modify(r.finalmodify)],
    ['COMBINEFUNC', r.combinefunc],
    ['SERIALFUNC', r.serialfunc],
    ['DESERIALFUNC', r.deserialfunc],
    ['INITCOND', r.initcond],
    ['MSFUNC', r.msfunc],
    ['MINVFUNC', r.minvfunc],
    ['MSTYPE', r.mstype],
    ['MFINALFUNC', r.mfinalfunc],
    ['MINITCOND', r.minitcond],
    ['SORTOP', r.sortop],
    ['PARALLEL', r.parallel === 's' ? 'SAFE' : r.parallel === 'r' ? 'RESTRICTED' : null],
    ['HYPOTHETICAL', r.aggkind === 'h' ? '' : null],
  ];
  const body = parts
    .filter((p): p is [string, string] => p[1] !== null && p[1] !== undefined)
    .map(([key, value]) => (value === '' ? `    ${key}` : `    ${key} = ${value}`))
    .join(',\n');
  return `CREATE AGGREGATE ${r.qualified}(${r.arguments}) (\n${body}\n);\n`;
}

interface TriggerRow {
  schema: string;
  table: string;
  name: string;
  definition: string;
  comment: string | null;
}

function triggersSql(version: number): string {
  // Since PostgreSQL 13, triggers cloned onto partitions say so in tgparentid; before that
  // they were marked internal.
  return `
SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name,
  pg_get_triggerdef(t.oid, true) AS definition, d.description AS comment
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
${commentJoin('d', 'pg_trigger', 't.oid')}
WHERE NOT t.tgisinternal ${version >= 130000 ? 'AND t.tgparentid = 0' : ''}
  AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}`;
}

/** Triggers (not the ones PostgreSQL creates for foreign keys), with their definitions. */
export async function readTriggers(ctx: CatalogContext): Promise<InSchema<Trigger>[]> {
  return (await rows<TriggerRow>(ctx, triggersSql(ctx.version))).map((r) => ({
    schema: r.schema,
    value: {
      name: r.name,
      table: r.table,
      definition: r.definition,
      definitionDigest: digest('definition', r.definition),
      comment: r.comment,
    },
  }));
}
