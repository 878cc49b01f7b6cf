import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../audit/audit-log.js';
import { createLogger } from '../logger.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { Store } from '../storage/store.js';
import { seedOrg } from '../storage/test-support/fixtures.js';
import { EventHub, QUEUE_LIMIT } from './event-hub.js';

/** Backpressure: a consumer that does not keep up costs bounded memory and still misses nothing. */
describe('event hub', () => {
  let dir: string;
  let store: Store;
  let hub: EventHub;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'isotyp-hub-'));
    store = await openSqliteStore(join(dir, 'cp.db'));
    await store.migrate();
    await seedOrg(store, 'acme');
    await seedOrg(store, 'other');
    hub = new EventHub(store, createLogger({ level: 'silent' }));
  });
  afterEach(async () => {
    hub.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (orgId: string, action: string, id: string) =>
    appendAudit(store, { orgId, actor: 'system', action, entity: { kind: 'change', id } });

  it('holds at most QUEUE_LIMIT events for a slow consumer, then hands it everything in order from the log', async () => {
    const start = (await store.audit.size()) - 1;
    const slow = hub.subscribe({ orgId: 'org_acme', after: start, types: ['change.*'] });
    // Caught up and live before the burst.
    expect(await slow.next(50)).toEqual([]);
    const total = QUEUE_LIMIT * 2 + 500;
    for (let i = 0; i < total; i++) {
      await append(i % 10 === 0 ? 'org_other' : 'org_acme', i % 5 === 0 ? 'user.sign-in' : 'change.submit', `c${i}`);
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // Let the hub read everything while the consumer reads nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hub.last).toBe(start + total);
    expect(slow.queued).toBeLessThanOrEqual(QUEUE_LIMIT);

    const got: string[] = [];
    for (;;) {
      const events = await slow.next(100);
      if (events.length === 0) break;
      got.push(...events.map((e) => e.entity.id));
    }
    const expected = Array.from({ length: total }, (_, i) => i)
      .filter((i) => i % 10 !== 0 && i % 5 !== 0)
      .map((i) => `c${i}`);
    expect(got).toEqual(expected);
    expect(slow.cursor).toBe(start + total);
    slow.close();
    expect(hub.subscribers).toBe(0);
  });

  it('gives each organisation only its own events', async () => {
    const start = (await store.audit.size()) - 1;
    const acme = hub.subscribe({ orgId: 'org_acme', after: start });
    const other = hub.subscribe({ orgId: 'org_other', after: start });
    await append('org_acme', 'change.submit', 'mine');
    await append('org_other', 'change.submit', 'theirs');
    const [a, o] = [await acme.next(2000), await other.next(2000)];
    expect(a.map((e) => [e.org, e.entity.id])).toEqual([['org_acme', 'mine']]);
    expect(o.map((e) => [e.org, e.entity.id])).toEqual([['org_other', 'theirs']]);
  });
});
