import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneClient } from '../../services/control-plane/client.js';
import { claimChange } from '../../services/control-plane/governed-apply.js';
import {
  eventually,
  ordersState,
  ordersTarget,
  startAgentDaemon,
  startGovernedSite,
} from '../../test-support/agent-daemon.js';
import { type ClaimRelay, claimRelay } from '../../test-support/claim-relay.js';

/*
 * `isotyp agent start` whose claim on an approved change (`applying`) the control plane commits
 * but whose answer never arrives — an HTTPS relay between agent and control plane passes the
 * claim on and closes the agent's connection instead of answering, for its retries too and for
 * as long as the test wants. Nothing is applied while the claim goes unanswered, and the change
 * stays `applying`. Once answers get through, the daemon's reconcile re-sends the claim, gets it
 * replayed as its own, and applies the change once. A change `applying` under someone else's
 * claim (a CI job's) is asked about once and left be.
 */

let site: Awaited<ReturnType<typeof startGovernedSite>>;
let relay: ClaimRelay;
beforeAll(async () => {
  site = await startGovernedSite();
  relay = await claimRelay(site.cp, { agentHome: join(site.homes.agent, '.isotyp') });
  await site.enrolAgent({ url: relay.url });
}, 120_000);
afterAll(async () => {
  await relay?.close();
  await site?.cp.close();
});

/** Occurrences of `text` in `logs`. */
const count = (logs: string, text: string) => logs.split(text).length - 1;

describe('isotyp agent start whose claim was answered into the void', () => {
  it('applies nothing while the claim goes unanswered, then resumes its own claim and applies once', async () => {
    const { cp, homes } = site;
    const { db, schema, config } = ordersTarget(homes.agent);
    const stateOf = async (id: string) => (await cp.store.changes.get('acme', id))?.state;
    relay.dropClaims = true;
    const daemon = startAgentDaemon(config, homes.agent);
    try {
      const { change } = await site.submitApproved(db, schema);
      // The round's claim and its two retries, then at least one claim of a later round's
      // reconcile: all reach the control plane, none is answered.
      expect(await eventually(async () => relay.dropped.length >= 4, 60_000), daemon.logs()).toBe(true);
      relay.dropClaims = false;
      expect(relay.dropped.slice(0, 4)).toEqual([200, 200, 200, 200]);
      expect(daemon.logs()).toContain('ISOTYP_UNAVAILABLE');
      expect(ordersState(db)).toEqual({ columns: ['id', 'total'], history: 0 });
      expect(await stateOf(change.id)).toBe('applying');

      expect(await eventually(async () => (await stateOf(change.id)) === 'applied', 60_000), daemon.logs()).toBe(true);
      expect(daemon.logs()).toContain('resuming a change this agent claimed and never applied');
      const applied = await cp.store.changes.get('acme', change.id);
      expect(ordersState(db)).toEqual({ columns: ['id', 'total', 'currency'], history: 1 });
      expect((await cp.store.targets.get('acme', applied?.targetId ?? ''))?.digest).toBe(applied?.toDigest);
      const rows = new Database(db, { readonly: true });
      expect(rows.prepare('SELECT total, currency FROM orders').all()).toEqual([{ total: 42, currency: null }]);
      rows.close();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 180_000);

  it('leaves be a change applying under a CI job’s claim, asking once', async () => {
    const { cp, homes, cli, caFile } = site;
    const db = join(homes.agent, 'orders.db');
    const schema = join(homes.agent, 'schema-note.sql');
    const config = join(homes.agent, 'agent-note.yaml');
    writeFileSync(schema, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, currency TEXT, note TEXT);\n');
    writeFileSync(
      config,
      readFileSync(join(homes.agent, 'agent.yaml'), 'utf8').replace(/schema: .*/, `schema: ${schema}`),
    );
    const { change } = await site.submitApproved(db, schema);
    // A CI job claims it first, through the control plane's own front door.
    const { token } = await cli(homes.admin, [
      ...['tokens', 'create', '--name', 'deploy', '--project', 'shop', '--env', 'prod', '--actions', 'apply,read'],
    ]);
    const ci = new ControlPlaneClient({
      server: cp.url,
      credentials: { kind: 'token', token },
      tls: { ca: readFileSync(caFile, 'utf8') },
    });
    await claimChange(ci, change.id);
    const claimsBefore = relay.claims.length;

    const daemon = startAgentDaemon(config, homes.agent);
    try {
      const leftBe = 'a change applying under another claim; left be';
      expect(await eventually(async () => daemon.logs().includes(leftBe), 60_000), daemon.logs()).toBe(true);
      expect(relay.claims.slice(claimsBefore)).toEqual([409]);
      // A later round asks the control plane for work again and reconciles again: no second
      // claim, no second log line. (A round's next long poll is sent once its reconcile is done.)
      const polls = () => relay.requests.filter((r) => r === 'GET /v1/agent/work').length;
      const seen = polls();
      expect(await eventually(async () => polls() >= seen + 2, 60_000), daemon.logs()).toBe(true);
      expect(relay.claims.slice(claimsBefore)).toEqual([409]);
      expect(count(daemon.logs(), leftBe)).toBe(1);
      expect(ordersState(db)).toEqual({ columns: ['id', 'total', 'currency'], history: 1 });
      expect((await cp.store.changes.get('acme', change.id))?.state).toBe('applying');
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 180_000);
});
