import { IsotypError, type PlanOperation, type Table } from '@isotyp/protocol';
import { operation } from './pg-operations.js';
import { renderCreateTable, tableComments } from './pg-render.js';
import { qualify, quoteIdent, splitNameList } from './pg-sql.js';

/*
 * Whole-table operations and table options. A new table is created without its foreign keys
 * and indexes, which are separate operations once every table exists.
 */

type Check = Table['checks'][number];

export function createTableOp(ns: string, table: Table, parentChecks: Check[]): PlanOperation {
  return operation({
    action: 'create-table',
    kind: 'table',
    namespace: ns,
    name: table.name,
    up: [...renderCreateTable(ns, table, parentChecks), ...tableComments(ns, table)],
    down: [`DROP TABLE ${qualify(ns, table.name)}`],
    risk: 'safe',
    lock: 'none',
  });
}

export function dropTableOp(ns: string, table: Table): PlanOperation {
  return operation({
    action: 'drop-table',
    kind: 'table',
    namespace: ns,
    name: table.name,
    up: [`DROP TABLE ${qualify(ns, table.name)}`],
    down: { irreversible: `dropping table ${table.name} discards its rows` },
    risk: 'destructive',
    lock: 'exclusive',
  });
}

export function renameTableOp(ns: string, from: string, to: string): PlanOperation {
  return operation({
    action: 'rename-table',
    kind: 'table',
    namespace: ns,
    name: to,
    up: [`ALTER TABLE ${qualify(ns, from)} RENAME TO ${quoteIdent(to)}`],
    down: [`ALTER TABLE ${qualify(ns, to)} RENAME TO ${quoteIdent(from)}`],
    risk: 'caution',
    lock: 'exclusive',
  });
}

export interface OptionOps {
  /** Before the table changes (named as before): detach from a parent, stop inheriting. */
  detach: PlanOperation[];
  /** With the table's other changes (named as after). */
  alter: PlanOperation[];
  /** After every table change: attach to a parent, inherit. */
  attach: PlanOperation[];
}

const text = (options: Table['options'], key: string): string | null =>
  typeof options[key] === 'string' ? (options[key] as string) : null;

/** `fillfactor=70, autovacuum_enabled=false` as a map. */
function storageParameters(options: Table['options']): Map<string, string> {
  const result = new Map<string, string>();
  for (const item of splitNameList(text(options, 'with') ?? '')) {
    const eq = item.indexOf('=');
    result.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? '' : item.slice(eq + 1));
  }
  return result;
}

/** The statements taking a table's options from `from` to `to` (both named `name`). */
function alterStatements(name: string, from: Table['options'], to: Table['options']): string[] {
  const alter = `ALTER TABLE ${name}`;
  const statements: string[] = [];
  const a = storageParameters(from);
  const b = storageParameters(to);
  const set = [...b].filter(([k, v]) => a.get(k) !== v).map(([k, v]) => `${k}=${v}`);
  const reset = [...a.keys()].filter((k) => !b.has(k));
  if (reset.length > 0) statements.push(`${alter} RESET (${reset.join(', ')})`);
  if (set.length > 0) statements.push(`${alter} SET (${set.join(', ')})`);
  if (text(from, 'accessMethod') !== text(to, 'accessMethod')) {
    statements.push(`${alter} SET ACCESS METHOD ${quoteIdent(text(to, 'accessMethod') ?? 'heap')}`);
  }
  if ((from.unlogged === true) !== (to.unlogged === true))
    statements.push(`${alter} SET ${to.unlogged === true ? 'UNLOGGED' : 'LOGGED'}`);
  if ((from.rowSecurity === true) !== (to.rowSecurity === true)) {
    statements.push(`${alter} ${to.rowSecurity === true ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY`);
  }
  if ((from.forceRowSecurity === true) !== (to.forceRowSecurity === true)) {
    statements.push(`${alter} ${to.forceRowSecurity === true ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY`);
  }
  return statements;
}

export function optionOps(ns: string, from: Table, to: Table): OptionOps {
  const result: OptionOps = { detach: [], alter: [], attach: [] };
  if (text(from.options, 'partitionBy') !== text(to.options, 'partitionBy')) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `PostgreSQL cannot change how table ${to.name} is partitioned in place.`,
      {
        hint: 'Create a new partitioned table under another name, move the rows, then drop the old one.',
        details: { table: to.name },
      },
    );
  }
  const op = (action: string, name: string, up: string[], down: string[]) =>
    operation({ action, kind: 'table', namespace: ns, name, up, down, risk: 'caution', lock: 'exclusive' });
  const before = qualify(ns, from.name);
  const after = qualify(ns, to.name);

  const partition = (o: Table['options']) => `${text(o, 'partitionOf')}\u0000${text(o, 'partitionBound')}`;
  if (partition(from.options) !== partition(to.options)) {
    const fromParent = text(from.options, 'partitionOf');
    const toParent = text(to.options, 'partitionOf');
    const bound = (o: Table['options']) => text(o, 'partitionBound') ?? 'DEFAULT';
    if (fromParent !== null) {
      const detach = `ALTER TABLE ${fromParent} DETACH PARTITION ${before}`;
      result.detach.push(
        op(
          'detach-partition',
          from.name,
          [detach],
          [`ALTER TABLE ${fromParent} ATTACH PARTITION ${before} ${bound(from.options)}`],
        ),
      );
    }
    if (toParent !== null) {
      const attach = `ALTER TABLE ${toParent} ATTACH PARTITION ${after} ${bound(to.options)}`;
      result.attach.push(
        op('attach-partition', to.name, [attach], [`ALTER TABLE ${toParent} DETACH PARTITION ${after}`]),
      );
    }
  }
  const parents = (o: Table['options']) => splitNameList(text(o, 'inherits') ?? '');
  const oldParents = parents(from.options);
  const newParents = parents(to.options);
  for (const p of oldParents.filter((x) => !newParents.includes(x))) {
    result.detach.push(
      op(
        'alter-table-options',
        from.name,
        [`ALTER TABLE ${before} NO INHERIT ${p}`],
        [`ALTER TABLE ${before} INHERIT ${p}`],
      ),
    );
  }
  for (const p of newParents.filter((x) => !oldParents.includes(x))) {
    result.attach.push(
      op(
        'alter-table-options',
        to.name,
        [`ALTER TABLE ${after} INHERIT ${p}`],
        [`ALTER TABLE ${after} NO INHERIT ${p}`],
      ),
    );
  }
  const up = alterStatements(after, from.options, to.options);
  if (up.length > 0)
    result.alter.push(op('alter-table-options', to.name, up, alterStatements(after, to.options, from.options)));
  return result;
}
