import type { Store } from '../store.js';
import { agentStore } from './agents.js';
import { catalogStore } from './catalog.js';
import { changeStore } from './changes.js';
import type { Driver, Runner } from './driver.js';
import { guardStore } from './errors.js';
import { identityStore } from './identity.js';
import { ledgerStore } from './ledger.js';
import type { TableName } from './rows.js';
import { suggestionStore } from './suggestions.js';

/** The Store over a dialect's driver: the shared queries, with every failure turned into an IsotypError. */
export function createStore(driver: Driver): Store {
  const { tracked, stamp } = trackWrites(driver);
  const store: Store = {
    dialect: driver.dialect,
    migrate: () => driver.migrate(),
    ping: () => driver.ping(),
    close: () => driver.close(),
    stamp,
    ...identityStore(tracked),
    ...catalogStore(tracked),
    ...changeStore(tracked),
    ...ledgerStore(tracked),
    ...agentStore(tracked),
    ...suggestionStore(tracked),
  };
  return guardStore(store, (error) => driver.toError(error));
}

/**
 * Counts this process's writes per table — every write goes through the runner or one of the
 * driver's two transactions — and joins the count with what the driver sees of other writers.
 * A count goes up when the write returns, failed or not (a rolled-back write only costs a cache
 * miss), and before the request that made it answers: whoever reads after that answer gets a
 * new stamp.
 */
function trackWrites(driver: Driver): { tracked: Driver; stamp: Store['stamp'] } {
  const writes = new Map<TableName, number>();
  const wrote = (...tables: TableName[]) => {
    for (const table of tables) writes.set(table, (writes.get(table) ?? 0) + 1);
  };
  const after = async <T>(work: Promise<T>, ...tables: TableName[]): Promise<T> => {
    try {
      return await work;
    } finally {
      wrote(...tables);
    }
  };
  const run: Runner = {
    ...driver.run,
    insert: (table, values, skip) => after(driver.run.insert(table, values, skip), table),
    update: (table, set, where) => after(driver.run.update(table, set, where), table),
    upsert: (table, rows, conflictOn, replace) => after(driver.run.upsert(table, rows, conflictOn, replace), table),
    delete: (table, where) => after(driver.run.delete(table, where), table),
  };
  const tracked: Driver = {
    ...driver,
    run,
    recordVersion: (version) => after(driver.recordVersion(version), 'targets', 'schemaVersions'),
    appendAudit: (build) => after(driver.appendAudit(build), 'auditEntries'),
  };
  const stamp = (tables: readonly TableName[]): string | undefined => {
    const foreign = driver.foreignWrites(tables);
    if (foreign === undefined) return undefined;
    let text = foreign;
    for (const table of tables) text += `;${writes.get(table) ?? 0}`;
    return text;
  };
  return { tracked, stamp };
}
