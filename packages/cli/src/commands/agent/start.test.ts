import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePublicKey, generateKeyPair } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../../services/control-plane/test-support/run-cli-async.js';
import { developmentKey, ordersTarget, startGovernedSite } from '../../test-support/agent-daemon.js';
import { binPath } from '../../test-support/run-cli.js';

/*
 * The agent daemon, as the built binary, against an HTTPS control plane: a change planned and
 * submitted by a DBA and approved by a reviewer is picked up by `isotyp agent start` through
 * its long poll, verified on the agent, applied to its SQLite target, and reported applied —
 * nobody running a command on the agent's machine. SIGTERM stops it cleanly.
 */
describe('isotyp agent start', () => {
  let site: Awaited<ReturnType<typeof startGovernedSite>>;
  beforeAll(async () => {
    site = await startGovernedSite();
  }, 120_000);
  afterAll(async () => {
    await site?.cp.close();
  });

  it('picks up an approved change on its own, verifies and applies it, and stops on SIGTERM', async () => {
    const { cp, homes } = site;
    const enrolled = await site.enrolAgent();

    // The agent's database and configuration; the desired schema adds a column.
    const { db, schema, config } = ordersTarget(homes.agent);
    const agentEnv = {
      PATH: process.env.PATH ?? '',
      HOME: homes.agent,
      ISOTYP_HOME: join(homes.agent, '.isotyp'),
      NO_COLOR: '1',
    };
    // This checkout's build is signed by its development key (scripts/release-manifest.mjs):
    // trusted here only because the test says so. Any other key: the daemon does not start.
    const untrusted = await runCliAsync(['agent', 'start', '--config', config], {
      home: homes.agent,
      env: { ISOTYP_RELEASE_KEYS: encodePublicKey(generateKeyPair().publicKey) },
    });
    expect(untrusted.status).toBe(77);
    expect(untrusted.stderr).toContain('ISOTYP_SIGNATURE_INVALID');
    const daemon = spawn(process.execPath, [binPath, 'agent', 'start', '--config', config, '--health-port', '0'], {
      env: { ...agentEnv, ISOTYP_RELEASE_KEYS: developmentKey() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    daemon.stdout.setEncoding('utf8').on('data', (text: string) => {
      logs += text;
    });
    daemon.stderr.setEncoding('utf8').on('data', (text: string) => {
      logs += text;
    });
    const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
    try {
      // A DBA plans against a copy of the database and submits; the reviewer approves.
      const { change } = await site.submitApproved(db, schema);

      const deadline = Date.now() + 30_000;
      while ((await cp.store.changes.get('acme', change.id))?.state !== 'applied' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await cp.store.changes.get('acme', change.id))?.state, logs).toBe('applied');
      const after = new Database(db, { readonly: true });
      expect(after.prepare('SELECT currency, total FROM orders').all()).toEqual([{ currency: null, total: 42 }]);
      after.close();
      expect(logs).toContain('"msg":"installation verified"');
      // Its local health endpoint says it is working, for a supervisor to probe.
      const healthUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+\/healthz)"/.exec(logs)?.[1];
      expect(healthUrl, logs).toBeDefined();
      // ok once the round that applied the change has finished.
      let health = await fetch(healthUrl as string);
      for (let i = 0; i < 50 && health.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = await fetch(healthUrl as string);
      }
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', agentId: enrolled.agentId, lastError: null });
      expect(logs).toContain('"msg":"change applied"');
      // Heartbeats are written once a second (HeartbeatBuffer): wait for the write, not just the request.
      const heard = Date.now() + 10_000;
      while ((await cp.store.heartbeats.list('acme')).length === 0 && Date.now() < heard) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await cp.store.heartbeats.list('acme')).map((h) => h.agentId)).toEqual([enrolled.agentId]);
      // Its audit log now holds the apply: a checkpoint of it, signed with its enrolment identity,
      // reaches the control plane on the next round.
      const until = Date.now() + 20_000;
      while ((await cp.store.agentCheckpoints.latest('acme', enrolled.agentId)) === undefined && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const checkpoint = await cp.store.agentCheckpoints.latest('acme', enrolled.agentId);
      expect(checkpoint?.size, logs).toBeGreaterThanOrEqual(1);
      expect(checkpoint?.vkey).toContain(`isotyp.agent/${enrolled.agentId}+`);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(logs).toContain('"msg":"agent stopped"');
  }, 90_000);

  it('waits out a control plane that is down, applying nothing, says so on its health endpoint, and still stops', async () => {
    const { cp, homes } = site;
    await cp.close();
    const config = join(homes.agent, 'agent.yaml');
    const daemon = spawn(process.execPath, [binPath, 'agent', 'start', '--config', config, '--health-port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: homes.agent,
        ISOTYP_HOME: join(homes.agent, '.isotyp'),
        ISOTYP_RELEASE_KEYS: developmentKey(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    daemon.stdout.setEncoding('utf8').on('data', (text: string) => {
      logs += text;
    });
    const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
    const db = join(homes.agent, 'orders.db');
    const before = readFileSync(db);
    try {
      const deadline = Date.now() + 15_000;
      while (!logs.includes('round failed; backing off') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(logs).toContain('"code":"ISOTYP_UNAVAILABLE"');
      const healthUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+\/healthz)"/.exec(logs)?.[1] as string;
      const health = await fetch(healthUrl);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded', lastError: 'ISOTYP_UNAVAILABLE' });
      expect(readFileSync(db).equals(before)).toBe(true);
    } finally {
      daemon.kill('SIGTERM');
    }
    // Stopped in the middle of a back-off, not after it.
    const stopped = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(5000);
  }, 60_000);
});

/** The public key this checkout's build signs its release manifest with. */
