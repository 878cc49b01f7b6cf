import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import { eventually, startAgentDaemon } from '../../test-support/agent-daemon.js';

/*
 * The schema advisor's whole loop with nobody at the site after the first report: Ana reports
 * what `isotyp suggest` finds and accepts a suggestion in the control plane; the agent daemon
 * (`isotyp agent start`, over mutual TLS) adds its statements to the target's desired schema,
 * plans it and attaches the plan; Ana signs and submits it from anywhere (`suggestions submit`);
 * Ben approves; the daemon applies it — the index is in the database, the suggestion's change
 * is applied, and the desired schema holds the index for good.
 */
const admin = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };
const reviewer = { email: 'ben@acme.test', password: 'ben-s3cret-passphrase' };
const DDL = `CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE purchase (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer (id), total INTEGER);
`;

describe('accepted suggestions drafted by the agent daemon', () => {
  let cp: LiveControlPlane;
  const homes = { admin: scratchHome(), reviewer: scratchHome(), agent: scratchHome() };
  let caFile: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  const cli = async (home: string, args: string[], input = '', env: Record<string, string> = {}): Promise<any> => {
    const result = await runCliAsync([...args, '--json'], {
      home,
      input,
      env: { ISOTYP_SERVER: cp.url, NODE_EXTRA_CA_CERTS: caFile, ...env },
    });
    if (result.status !== 0)
      throw new Error(`isotyp ${args.join(' ')} → ${result.status} ${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    cp = await startLiveControlPlane({ org: 'acme', admin, tls: true });
    caFile = join(homes.admin, 'ca.crt');
    writeFileSync(caFile, (await cp.store.authorities.active())?.certificatePem ?? '');
    await cli(homes.admin, ['login', '--org', 'acme', '--email', admin.email, '--password-stdin'], admin.password);
    await cli(
      homes.admin,
      ['users', 'create', '--email', reviewer.email, '--role', 'approver', '--password-stdin'],
      reviewer.password,
    );
    await cli(
      homes.reviewer,
      ['login', '--org', 'acme', '--email', reviewer.email, '--password-stdin'],
      reviewer.password,
    );
    await cli(homes.admin, ['keys', 'generate']);
    await cli(homes.reviewer, ['keys', 'generate']);
    await cli(homes.admin, ['org', 'init']);
    await cli(homes.admin, ['projects', 'create', 'shop']);
    await cli(homes.admin, ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'structure']);
    await cli(homes.admin, [
      'targets',
      'create',
      'orders',
      '--project',
      'shop',
      '--env',
      'prod',
      '--dialect',
      'sqlite',
    ]);
  }, 120_000);
  afterAll(async () => {
    await cp?.close();
  });

  it('reports, accepts, drafts at the site, submits from anywhere, approves and applies', async () => {
    const { token, caFingerprint } = await cli(homes.admin, ['agents', 'token', 'edge-1']);
    const enrolled = await cli(
      homes.agent,
      ['agent', 'enroll', '--url', cp.url, '--ca-fingerprint', caFingerprint],
      '',
      { ISOTYP_ENROLMENT_TOKEN: token, NODE_EXTRA_CA_CERTS: '' },
    );
    const [target] = await cli(homes.admin, ['targets', 'list', '--project', 'shop', '--env', 'prod']);
    const adminToken = await cp.login(admin.email, admin.password);
    await cp.ok('POST', `/v1/targets/${target.id}/agent`, { token: adminToken, body: { agentId: enrolled.agentId } });

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
      expect(daemon.logs()).toContain('"msg":"suggestion drafted into the desired schema"');
      expect(readFileSync(schema, 'utf8')).toContain(`-- isotyp suggestion ${found.id} (fk-without-index)`);

      // Ana signs and submits it from her own machine; Ben approves it.
      const change = await cli(homes.admin, ['suggestions', 'submit', found.id]);
      expect(change).toMatchObject({ state: 'submitted', targetId: target.id });
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
