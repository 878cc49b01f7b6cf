import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentClient } from '../../services/agent/heartbeat.js';
import { runCliAsync } from '../../services/control-plane/test-support/run-cli-async.js';
import { eventually, ordersTarget, startAgentDaemon, startGovernedSite } from '../../test-support/agent-daemon.js';

/*
 * An agent killed after its database commit and before its `applied` report (issue 10's kill -9
 * chaos): the control plane is left seeing the change `applying`. The next `isotyp agent start`
 * finds the plan in its target's own history and reports it applied — without applying it again.
 * The "died" run is reproduced exactly: the agent tells the control plane `applying` with its own
 * certificate, the plan is applied to the target, and no report follows.
 */
describe('isotyp agent start after a run that died before reporting', () => {
  let site: Awaited<ReturnType<typeof startGovernedSite>>;
  beforeAll(async () => {
    site = await startGovernedSite();
  }, 120_000);
  afterAll(async () => {
    await site?.cp.close();
  });

  it('reports the change applied from the target’s history, and applies nothing twice', async () => {
    const { cp, homes } = site;
    await site.enrolAgent();
    const { db, schema, config } = ordersTarget(homes.agent);
    const agentEnv = { ISOTYP_HOME: join(homes.agent, '.isotyp') };
    const { change, plan } = await site.submitApproved(db, schema);

    // The run that died: `applying` told, the plan committed, no report.
    await agentClient(agentEnv).post(`/v1/changes/${change.id}/transitions`, { to: 'applying' }, z.unknown());
    const applied = await runCliAsync(['apply', '--target', `sqlite:${db}`, '--plan', plan, '--yes', '--json'], {
      home: homes.agent,
    });
    expect(applied.status, applied.stderr).toBe(0);
    expect((await cp.store.changes.get('acme', change.id))?.state).toBe('applying');

    const daemon = startAgentDaemon(config, homes.agent);
    try {
      await eventually(async () => (await cp.store.changes.get('acme', change.id))?.state === 'applied');
      const stored = await cp.store.changes.get('acme', change.id);
      expect(stored?.state, daemon.logs()).toBe('applied');
      expect(daemon.logs()).toContain('reported an apply an earlier run left unreported');
      // Applied once: one history row, the column there, the row kept.
      const after = new Database(db, { readonly: true });
      expect(after.prepare('SELECT count(*) AS n FROM isotyp_history').get()).toEqual({ n: 1 });
      expect(after.prepare('SELECT currency, total FROM orders').all()).toEqual([{ currency: null, total: 42 }]);
      after.close();
      expect((await cp.store.targets.get('acme', stored?.targetId ?? ''))?.digest).toBe(stored?.toDigest);
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});
