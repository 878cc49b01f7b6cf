import type { Store } from '../store.js';
import { catalogStore } from './catalog.js';
import { changeStore } from './changes.js';
import type { Driver } from './driver.js';
import { guardStore } from './errors.js';
import { identityStore } from './identity.js';
import { ledgerStore } from './ledger.js';

/** The Store over a dialect's driver: the shared queries, with every failure turned into an IsotypError. */
export function createStore(driver: Driver): Store {
  const store: Store = {
    dialect: driver.dialect,
    migrate: () => driver.migrate(),
    ping: () => driver.ping(),
    close: () => driver.close(),
    ...identityStore(driver),
    ...catalogStore(driver),
    ...changeStore(driver),
    ...ledgerStore(driver),
  };
  return guardStore(store, (error) => driver.toError(error));
}
