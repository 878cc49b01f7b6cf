import { isIsotypError } from '@isotyp/protocol';
import type { Store } from '../store.js';
import { agentStore } from './agents.js';
import { catalogStore } from './catalog.js';
import { changeStore } from './changes.js';
import type { Driver, Runner } from './driver.js';
import { guardStore } from './errors.js';
import { identityStore } from './identity.js';
import { ledgerStore } from './ledger.js';
import { rateLimitStore } from './rate-limits.js';
import type { TableName } from './rows.js';
import { suggestionStore } from './suggestions.js';
import { TransactionScope } from './transaction-scope.js';
import { webhookStore } from './webhooks.js';

/** The Store over a dialect's driver: the shared queries, with every failure turned into an IsotypError. */
export function createStore(driver: Driver): Store {
  const { tracked, stamp, atomically } = trackWrites(driver);
  const store: Store = {
    dialect: driver.dialect,
    migrate: () => driver.migrate(),
    ping: () => driver.ping(),
    close: () => driver.close(),
    stamp,
    atomically,
    ...identityStore(tracked),
    ...catalogStore(tracked),
    ...changeStore(tracked),
    ...ledgerStore(tracked),
    ...agentStore(tracked),
    ...suggestionStore(tracked),
    ...webhookStore(tracked),
    ...rateLimitStore(tracked),
  };
  return guardStore(store, (error) => driver.toError(error));
}

/**
 * Counts this process's writes per table — every write goes through the runner or one of the
 * driver's two transactions — and joins the count with what the driver sees of other writers.
 * A count goes up when the write returns, failed or not (a rolled-back write only costs a cache
 * miss), and before the request that made it answers: whoever reads after that answer gets a
 * new stamp. Inside `atomically` the tables written are counted when the transaction ends:
 * counted earlier, another request could read the old rows before the commit and cache them
 * under the new stamp.
 */
function trackWrites(driver: Driver): {
  tracked: Driver;
  stamp: Store['stamp'];
  atomically: Store['atomically'];
} {
  const writes = new Map<TableName, number>();
  const open = new TransactionScope<{ tables: Set<TableName>; done: boolean }>();
  const count = (tables: Iterable<TableName>) => {
    for (const table of tables) writes.set(table, (writes.get(table) ?? 0) + 1);
  };
  const wrote = (...tables: TableName[]) => {
    const transaction = open.current();
    if (transaction === undefined) count(tables);
    else for (const table of tables) transaction.tables.add(table);
  };
  const atomically = async <T>(work: () => Promise<T>): Promise<T> => {
    if (open.current() !== undefined) return work();
    const transaction = { tables: new Set<TableName>(), done: false };
    // What `work` throws goes out as it is; a failure to begin or commit is the driver's.
    let thrown: { error: unknown } | undefined;
    const guarded = async () => {
      try {
        return await work();
      } catch (error) {
        thrown = { error };
        throw error;
      }
    };
    try {
      return await driver.atomically(() => open.run(transaction, guarded));
    } catch (error) {
      if (thrown !== undefined && thrown.error === error) throw error;
      throw isIsotypError(error) ? error : driver.toError(error);
    } finally {
      transaction.done = true;
      count(transaction.tables);
    }
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
    accumulate: (table, rows, conflictOn, column) =>
      after(driver.run.accumulate(table, rows, conflictOn, column), table),
    delete: (table, where) => after(driver.run.delete(table, where), table),
  };
  const tracked: Driver = {
    ...driver,
    run,
    atomically,
    recordVersion: (version) => after(driver.recordVersion(version), 'targets', 'schemaVersions'),
    appendAudit: (build) => after(driver.appendAudit(build), 'auditEntries'),
  };
  const stamp = (tables: readonly TableName[]): string | undefined => {
    // Inside a transaction that wrote one of these tables, what is read of them is not yet what
    // others see: no stamp, no cache. Tables it has not written read as committed, and may be.
    const transaction = open.current();
    if (transaction !== undefined && tables.some((table) => transaction.tables.has(table))) {
      return undefined;
    }
    const foreign = driver.foreignWrites(tables);
    if (foreign === undefined) return undefined;
    let text = foreign;
    for (const table of tables) text += `;${writes.get(table) ?? 0}`;
    return text;
  };
  return { tracked, stamp, atomically };
}
