import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../store.js';
import { agentCases } from './suite-agents.js';
import { auditCheckpointCases } from './suite-audit-checkpoints.js';
import { catalogCases } from './suite-catalog.js';
import { changeCases } from './suite-changes.js';
import { identityCases } from './suite-identity.js';
import { ledgerCases } from './suite-ledger.js';
import { lifecycleCases } from './suite-lifecycle.js';
import { raceCases } from './suite-races.js';
import { rateLimitCases } from './suite-rate-limits.js';
import { stampCases } from './suite-stamps.js';
import { suggestionCases } from './suite-suggestions.js';
import { transactionCases } from './suite-transactions.js';

export { describeSharedDatabase, type SharedDatabase } from './suite-shared-database.js';

/*
 * The one suite every Store implementation passes (Drizzle-style: one suite, a harness per
 * driver). Each test gets a fresh, migrated store of its own, so tests neither share rows nor
 * depend on order.
 */

/** The current test's store. */
export type CurrentStore = () => Store;

/**
 * Registers the Store contract's tests for one implementation.
 *
 * @example
 * describeStore('sqlite', () => openSqliteStore(join(tempDir(), 'cp.db')));
 */
export function describeStore(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | undefined;
    beforeEach(async () => {
      store = await open();
      await store.migrate();
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const current: CurrentStore = () => {
      if (store === undefined) throw new Error('no store: used outside a test');
      return store;
    };
    identityCases(current);
    catalogCases(current);
    changeCases(current);
    ledgerCases(current);
    auditCheckpointCases(current);
    raceCases(current);
    lifecycleCases(current);
    stampCases(current);
    agentCases(current);
    suggestionCases(current);
    transactionCases(current);
    rateLimitCases(current);
  });
}
