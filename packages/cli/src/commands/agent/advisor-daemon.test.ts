import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAgentDaemon, startGovernedSite } from '../../test-support/agent-daemon.js';

/*
 * The schema advisor's whole loop with nobody at the site after the first report: Ana reports
 * what `isotyp suggest` finds and accepts a suggestion in the control plane; the agent daemon
 * (`isotyp agent start`, over mutual TLS) adds its statements to the target's desired schema,
 * plans it and attaches the plan; Ana signs and submits it from anywhere (`suggestions submit`);
 * Ben approves; the daemon applies it — the index is in the database, the suggestion's change
 * is applied, and the desired schema holds the index for good.
 */
const DDL = `CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE purchase (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer (id), total INTEGER);
`;

describe('accepted suggestions drafted by the agent daemon', () => {
  let site: Awaited<ReturnType<typeof startGovernedSite>>;
  beforeAll(async () => {
    site = await startGovernedSite();
  }, 120_000);
  afterAll(async () => {
    await site?.cp.close();
  });

  it('reports, accepts, drafts at the site, submits from anywhere, approves and applies', async () => {
    const { cp, homes, cli } = site;
    const { targetId } = await site.enrolAgent();

    const db = join(homes.agent, 'orders.db');
    const conn = new Database(db);
    conn.exec(DDL);
    conn.exec(
      "INSERT INTO customer (email) VALUES ('a@shop.test'); INSERT INTO purchase (customer_id, total) VALUES (1, 42);",
    );
    conn.close();
    const schema = join(homes.agent, 'schema.sql');
    writeFileSync(schema, DDL);
    const config = join(homes.agent, 'agent.yaml');
    writeFileSync(config, `targets:\n  orders:\n    url: sqlite:${db}\n    schema: ${schema}\n    environment: prod\n`);

    // Ana, at the site once: what the advisor finds goes to the control plane for review.
    const reported = await cli(homes.admin, [
      'suggest',
      '-t',
      `sqlite:${db}`,
      '--report',
      '--env',
      'prod',
      '--project',
      'shop',
    ]);
    expect(reported.reported).toMatchObject({ created: 1 });
    const [found] = (await cli(homes.admin, ['suggestions', 'list', '--target', 'orders'])).suggestions;
    expect(found).toMatchObject({ kind: 'fk-without-index', state: 'new' });
    await cli(homes.admin, ['suggestions', 'accept', found.id]);

    const daemon = startAgentDaemon(config, homes.agent);
    let exit: number | null = null;
    try {
      // The agent drafts it into the desired schema and attaches the plan.
      const drafted = await eventually(
        async () => (await cp.store.suggestions.get('acme', found.id))?.draft !== undefined,
        40_000,
      );
      expect(drafted, daemon.logs()).toBe(true);
      // The control plane stores the draft before the daemon hears its answer and logs it.
      const logged = await eventually(
        async () => daemon.logs().includes('"msg":"suggestion drafted into the desired schema"'),
        10_000,
      );
      expect(logged, daemon.logs()).toBe(true);
      expect(readFileSync(schema, 'utf8')).toContain(`-- isotyp suggestion ${found.id} (fk-without-index)`);

      // Ana signs and submits it from her own machine; Ben approves it.
      const change = await cli(homes.admin, ['suggestions', 'submit', found.id]);
      expect(change).toMatchObject({ state: 'submitted', targetId });
      await cli(homes.reviewer, ['approve', change.id]);

      const applied = await eventually(
        async () => (await cp.store.changes.get('acme', change.id))?.state === 'applied',
        40_000,
      );
      expect(applied, daemon.logs()).toBe(true);
      const after = new Database(db, { readonly: true });
      const indexes = after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all();
      const rows = after.prepare('SELECT customer_id, total FROM purchase').all();
      after.close();
      expect(indexes).toEqual([{ name: 'purchase_customer_id_idx' }]);
      expect(rows).toEqual([{ customer_id: 1, total: 42 }]);
      const stored = await cli(homes.admin, ['suggestions', 'list', '--target', 'orders', '--state', 'accepted']);
      expect(stored.suggestions[0]).toMatchObject({ id: found.id, changeId: change.id });
    } finally {
      exit = await daemon.stop();
    }
    expect(exit).toBe(0);
  }, 150_000);
});
