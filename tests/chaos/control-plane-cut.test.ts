import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAuditLog } from '@isotyp/agent';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../../packages/cli/src/services/control-plane/test-support/run-cli-async.js';
import { eventually, startAgentDaemon, startGovernedSite } from '../../packages/cli/src/test-support/agent-daemon.js';
import { STACK_FRAME } from '../../packages/cli/src/test-support/run-cli.js';
import { sqliteState } from './support/target-state.js';
import { type TcpProxy, tcpProxy } from './support/tcp-proxy.js';

/*
 * Issue 10, chaos: cut an agent off the control plane for a minute (ISOTYP_CHAOS_CUT_SECONDS,
 * default 60) — nothing new applied without a verified approval, reports drain after.
 *
 * The real pieces: the control plane over HTTPS on loopback, `isotyp agent start` (the built
 * binary, a process of its own) enrolled with mutual TLS — through a TCP relay on loopback that
 * the test cuts (every open connection reset, every new one refused) and restores.
 *  1. Change A on target `orders` is approved; the agent verifies it and tells the control plane
 *     `applying`; the test holds the SQLite file's write lock at that moment, so the link can be
 *     cut exactly between `applying` and `applied`. Cut; lock released: A is applied locally,
 *     and its `applied` report, which cannot be sent, is queued in $ISOTYP_HOME/reports.db.
 *  2. While cut off: change B on target `ledger` is submitted and approved on the control plane.
 *     For the whole cut the agent keeps trying (refused connections counted at the relay) and
 *     applies nothing: `ledger` stays at B's fromDigest with no history; the control plane still
 *     has A `applying` and B `approved`; the queued report stays queued; the agent's health
 *     endpoint says degraded with ISOTYP_UNAVAILABLE. A CI job on the agent's side running
 *     `isotyp apply --change B` through the same cut link is refused (exit 69,
 *     ISOTYP_UNAVAILABLE, no stack trace) and applies nothing either.
 *  3. Link restored: the queued report is delivered first (A `applied` on the control plane,
 *     before B is even started, by the order of the control plane's audit log), the queue
 *     empties, an audit checkpoint covering what the agent logged while cut off arrives, and B
 *     — now that its approval can be fetched and verified — is applied, once. A is not applied
 *     again (one history row).
 * Bounded: one cut of 60 s; after it, the agent's own back-off (at most 60 s) decides when it
 * calls again, so every wait has a deadline of its own; the file takes 2–3 minutes.
 */

const CUT_MS = Number(process.env.ISOTYP_CHAOS_CUT_SECONDS ?? 60) * 1000;

let site: Awaited<ReturnType<typeof startGovernedSite>>;
let proxy: TcpProxy;
beforeAll(async () => {
  site = await startGovernedSite();
  const upstream = new URL(site.cp.url);
  proxy = await tcpProxy({ host: upstream.hostname, port: Number(upstream.port) });
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await site?.cp.close();
});

/** A SQLite database for the agent, with `sql` in it. */
/** True when `url` answers within `ms` milliseconds. */
async function answersWithin(url: string, ms: number): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(ms) })).status > 0;
  } catch {
    return false;
  }
}

function database(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

/** Rows of the agent's queue of undelivered reports. */
function queuedReports(home: string): { path: string; body: unknown }[] {
  const file = join(home, '.isotyp', 'reports.db');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { path: string; body: string }>('SELECT path, body FROM reports ORDER BY id')
      .all()
      .map((r) => ({ path: r.path, body: JSON.parse(r.body) as unknown }));
  } finally {
    db.close();
  }
}

function auditSize(home: string): number {
  const log = openAuditLog(join(home, '.isotyp', 'audit.db'));
  try {
    return log.size;
  } finally {
    log.close();
  }
}

describe('an agent cut off from its control plane', () => {
  it('applies nothing without a verified approval while cut off, and drains its reports after', async () => {
    const { cp, homes, cli, caFile } = site;
    const store = cp.store;
    const proxyUrl = `https://127.0.0.1:${proxy.port}`;
    await site.createTarget('ledger');
    const { agentId } = await site.enrolAgent({ url: proxyUrl });
    const ledgerId = (await cli(homes.admin, ['targets', 'assign', 'ledger', '--project', 'shop', '--agent', 'edge-1']))
      .targetId as string;

    // The agent's two databases, their desired schemas (A adds a column to orders, B one to
    // entries) and its configuration.
    const orders = join(homes.agent, 'orders.db');
    const ledger = join(homes.agent, 'ledger.db');
    database(
      orders,
      'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER); INSERT INTO orders (total) VALUES (42);',
    );
    database(
      ledger,
      'CREATE TABLE entries (id INTEGER PRIMARY KEY, amount INTEGER); INSERT INTO entries (amount) VALUES (7);',
    );
    const ordersSchema = join(homes.agent, 'orders.sql');
    const ledgerSchema = join(homes.agent, 'ledger.sql');
    writeFileSync(ordersSchema, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, currency TEXT);\n');
    writeFileSync(ledgerSchema, 'CREATE TABLE entries (id INTEGER PRIMARY KEY, amount INTEGER, memo TEXT);\n');
    const config = join(homes.agent, 'agent.yaml');
    writeFileSync(
      config,
      'targets:\n' +
        `  orders:\n    url: sqlite:${orders}\n    schema: ${ordersSchema}\n    environment: prod\n` +
        `  ledger:\n    url: sqlite:${ledger}\n    schema: ${ledgerSchema}\n    environment: prod\n`,
    );

    /** A DBA plans `target` against a copy of its database and submits; the change. */
    const submit = async (target: 'orders' | 'ledger', db: string, schema: string) => {
      const copy = join(homes.admin, `${target}-copy.db`);
      copyFileSync(db, copy);
      const plan = join(homes.admin, `${target}-plan.json`);
      await cli(homes.admin, ['plan', '--target', `sqlite:${copy}`, '--schema', schema, '--out', plan]);
      return cli(homes.admin, ['submit', '--plan', plan, '--project', 'shop', '--env', 'prod', '--target', target]);
    };
    const stateOf = async (id: string) => (await store.changes.get('acme', id))?.state;

    const daemon = startAgentDaemon(config, homes.agent);
    try {
      expect(await eventually(async () => (await store.heartbeats.list('acme')).length > 0), daemon.logs()).toBe(true);
      const healthUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+\/healthz)"/.exec(daemon.logs())?.[1] as string;

      // 1. A is approved and the agent starts it — held at the database's lock, then cut.
      const changeA = await submit('orders', orders, ordersSchema);
      const holder = new Database(orders);
      holder.exec('BEGIN IMMEDIATE');
      await cli(homes.reviewer, ['approve', changeA.id]);
      expect(await eventually(async () => (await stateOf(changeA.id)) === 'applying'), daemon.logs()).toBe(true);
      // The control plane stores `applying` before its answer reaches the agent: cut only once the
      // agent has it and is inside the apply, waiting for the lock — better-sqlite3 waits
      // synchronously, so its health endpoint stops answering. (An answer to `applying` lost in
      // a cut is resumed by the agent's reconcile: see commands/agent/lost-claim.test.ts.)
      expect(await eventually(async () => !(await answersWithin(healthUrl, 500)), 20_000), daemon.logs()).toBe(true);
      proxy.sever();
      const cutAt = Date.now();
      holder.exec('ROLLBACK');
      holder.close();

      const aTo = (await store.changes.get('acme', changeA.id))?.toDigest;
      expect(await eventually(async () => sqliteState(orders).digest === aTo, 20_000), daemon.logs()).toBe(true);
      const report = { path: `/v1/changes/${changeA.id}/transitions`, body: { to: 'applied', digest: aTo } };
      expect(await eventually(async () => queuedReports(homes.agent).length === 1, 20_000), daemon.logs()).toBe(true);
      expect(queuedReports(homes.agent)).toEqual([report]);
      const loggedOffline = auditSize(homes.agent);
      expect(loggedOffline).toBeGreaterThan(0);

      // 2. B is approved on the control plane, where the agent cannot see it.
      const ledgerBefore = sqliteState(ledger);
      const changeB = await submit('ledger', ledger, ledgerSchema);
      await cli(homes.reviewer, ['approve', changeB.id]);
      expect(await stateOf(changeB.id)).toBe('approved');

      // A CI job beside the agent tries B through the same cut link.
      const ci = await cli(homes.admin, [
        'tokens',
        'create',
        '--name',
        'deploy',
        '--project',
        'shop',
        '--env',
        'prod',
        '--actions',
        'apply,read',
      ]);
      const attempt = await runCliAsync(
        [
          'apply',
          '--ci',
          '--change',
          changeB.id,
          '--target',
          `sqlite:${ledger}`,
          '--schema',
          ledgerSchema,
          '--target-id',
          ledgerId,
          '--env',
          'prod',
          '--json',
        ],
        {
          home: homes.agent,
          env: { ISOTYP_TOKEN: ci.token as string, ISOTYP_SERVER: proxyUrl, NODE_EXTRA_CA_CERTS: caFile },
        },
      );
      expect(attempt.status, attempt.stdout + attempt.stderr).toBe(69);
      expect(JSON.parse(attempt.stdout).error.code).toBe('ISOTYP_UNAVAILABLE');
      expect(attempt.stdout + attempt.stderr).not.toMatch(STACK_FRAME);

      // For the rest of the cut: the agent keeps calling, and nothing moves.
      let checks = 0;
      while (Date.now() - cutAt < CUT_MS) {
        expect(sqliteState(ledger)).toEqual(ledgerBefore);
        expect(sqliteState(orders).history).toHaveLength(1);
        expect(await stateOf(changeA.id)).toBe('applying');
        expect(await stateOf(changeB.id)).toBe('approved');
        expect(queuedReports(homes.agent)).toEqual([report]);
        checks++;
        await sleep(Math.min(2000, Math.max(0, CUT_MS - (Date.now() - cutAt))));
      }
      const health = await fetch(healthUrl);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded', agentId, lastError: 'ISOTYP_UNAVAILABLE' });
      expect(checks).toBeGreaterThan(1);
      expect(proxy.counts.refused, 'the agent kept calling while cut off').toBeGreaterThan(1);
      const cutFor = Date.now() - cutAt;

      // 3. The link is back.
      proxy.restore();
      const drained = await eventually(
        async () => (await stateOf(changeA.id)) === 'applied' && (await stateOf(changeB.id)) === 'applied',
        120_000,
      );
      expect(drained, daemon.logs()).toBe(true);
      expect(queuedReports(homes.agent)).toEqual([]);
      // The queued report went first: A was applied, for the control plane, before B started.
      const seqOf = async (id: string, action: string) =>
        (await store.audit.byEntity('acme', 'change', id)).find((e) => e.action === action)?.seq ?? Number.NaN;
      expect(await seqOf(changeA.id, 'change.applied')).toBeLessThan(await seqOf(changeB.id, 'change.applying'));
      // What the agent logged while cut off reached the control plane as a signed checkpoint.
      expect(
        await eventually(
          async () => ((await store.agentCheckpoints.latest('acme', agentId))?.size ?? 0) >= loggedOffline,
        ),
        daemon.logs(),
      ).toBe(true);
      // B applied once, now that its approval could be verified; A not again.
      const bTo = (await store.changes.get('acme', changeB.id))?.toDigest;
      expect(sqliteState(ledger)).toMatchObject({ digest: bTo, history: [{ direction: 'up' }] });
      expect(sqliteState(orders)).toMatchObject({ digest: aTo, history: [{ direction: 'up' }] });
      console.info(`cut off for ${Math.round(cutFor / 1000)} s; relay`, proxy.counts);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 300_000);
});
