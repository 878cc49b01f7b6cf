import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../services/control-plane/test-support/run-cli-async.js';
import { ordersState, ordersTarget, startGovernedSite } from '../test-support/agent-daemon.js';
import { type ClaimRelay, claimRelay } from '../test-support/claim-relay.js';
import { STACK_FRAME } from '../test-support/run-cli.js';

/*
 * `isotyp apply --change` whose claim (`applying`) the control plane commits but whose answer
 * never arrives: an HTTPS relay between the CLI and the control plane passes the claim on and
 * closes the CLI's connection instead of answering, for the CLI's retries of that call too.
 * The run fails and applies nothing; the change is `applying` on the control plane. Then:
 *  - another CI token's claim is refused (409) and applies nothing;
 *  - the same token's next run resumes its own claim and applies the change, once;
 *  - once an operator has ended a stuck change (`applying → failed`, the way out when the claim
 *    can no longer be recognised), the same token's replayed claim does not start it again;
 *  - a resumed run refused before its claim says the change stays applying under that claim
 *    (another token's refusal does not), and resumes once the cause is fixed.
 */

let site: Awaited<ReturnType<typeof startGovernedSite>>;
let relay: ClaimRelay;
beforeAll(async () => {
  site = await startGovernedSite();
  relay = await claimRelay(site.cp);
  // An agent beside the CI job: its enrolment pins the org root `apply --change` trusts.
  await site.enrolAgent();
}, 120_000);
afterAll(async () => {
  await relay?.close();
  await site?.cp.close();
});

/** A CI token for shop/prod that may apply. */
async function ciToken(name: string): Promise<string> {
  const created = await site.cli(site.homes.admin, [
    ...['tokens', 'create', '--name', name, '--project', 'shop', '--env', 'prod', '--actions', 'apply,read'],
  ]);
  return created.token as string;
}

/** `isotyp apply --ci --change` on the agent's machine, through the relay, as `token`. */
async function applyChange(token: string, change: string, target: { db: string; schema: string; id: string }) {
  const result = await runCliAsync(
    [
      ...['apply', '--ci', '--change', change, '--target', `sqlite:${target.db}`, '--schema', target.schema],
      ...['--target-id', target.id, '--env', 'prod', '--json'],
    ],
    {
      home: site.homes.agent,
      env: { ISOTYP_TOKEN: token, ISOTYP_SERVER: relay.url, NODE_EXTRA_CA_CERTS: site.caFile },
    },
  );
  expect(result.stdout + result.stderr).not.toMatch(STACK_FRAME);
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON answer.
  return { status: result.status, json: JSON.parse(result.stdout) as any, output: result.stdout + result.stderr };
}

/** A run of `applyChange` whose claim the control plane takes but whose answer is lost: the change is left applying. */
async function loseClaim(token: string, change: string, target: { db: string; schema: string; id: string }) {
  relay.dropClaims = true;
  const lost = await applyChange(token, change, target).finally(() => {
    relay.dropClaims = false;
  });
  expect(lost.status, lost.output).toBe(69);
  expect((await site.cp.store.changes.get('acme', change))?.state).toBe('applying');
  return lost;
}

const before = { columns: ['id', 'total'], history: 0 };

describe('isotyp apply --change whose claim was answered into the void', () => {
  it('applies nothing, refuses other claimants, and applies once when the same principal runs it again', async () => {
    const { cp, homes } = site;
    const { db, schema } = ordersTarget(homes.agent);
    const { change } = await site.submitApproved(db, schema);
    const stored = await cp.store.changes.get('acme', change.id);
    const target = { db, schema, id: stored?.targetId ?? '' };
    const deploy = await ciToken('deploy');
    const other = await ciToken('other-pipeline');

    const lost = await loseClaim(deploy, change.id, target);
    expect(lost.json.error.code).toBe('ISOTYP_UNAVAILABLE');
    expect(lost.json.error.message).toContain(`Nothing was applied: the control plane did not confirm that change`);
    expect(lost.json.error.hint).toContain('run the same apply again');
    // The claim and both retries reached the control plane: taken, then replayed; none answered.
    expect(relay.dropped).toEqual([200, 200, 200]);
    expect(ordersState(db)).toEqual(before);
    expect((await cp.store.changes.get('acme', change.id))?.state).toBe('applying');

    // Someone else's claim on it: 409, nothing applied.
    const intruder = await applyChange(other, change.id, target);
    expect(intruder.status, intruder.output).toBe(4);
    expect(intruder.json.error.code).toBe('ISOTYP_INVALID_STATE');
    expect(relay.claims.at(-1)).toBe(409);
    expect(ordersState(db)).toEqual(before);
    expect((await cp.store.changes.get('acme', change.id))?.state).toBe('applying');

    // The same token again: its claim is replayed to it, and the change applied once.
    const resumed = await applyChange(deploy, change.id, target);
    expect(resumed.status, resumed.output).toBe(0);
    expect(relay.claims.at(-1)).toBe(200);
    const applied = await cp.store.changes.get('acme', change.id);
    expect(applied?.state).toBe('applied');
    expect(resumed.json).toMatchObject({ changeId: change.id, toDigest: applied?.toDigest, reported: true });
    expect(ordersState(db)).toEqual({ columns: ['id', 'total', 'currency'], history: 1 });
    expect((await cp.store.targets.get('acme', target.id))?.digest).toBe(applied?.toDigest);
    const rows = new Database(db, { readonly: true });
    expect(rows.prepare('SELECT total, currency FROM orders').all()).toEqual([{ total: 42, currency: null }]);
    rows.close();
  }, 120_000);

  it('does not start a change again on a replayed claim once an operator has failed it', async () => {
    const { cp, homes, cli } = site;
    await site.createTarget('ledger');
    const { db, schema } = ordersTarget(mkdtempSync(join(homes.agent, 'ledger-')));
    const { change } = await site.submitApproved(db, schema, 'ledger');
    const target = { db, schema, id: (await cp.store.changes.get('acme', change.id))?.targetId ?? '' };
    const deploy = await ciToken('deploy-ledger');

    await loseClaim(deploy, change.id, target);

    // The documented way out (docs/concepts/resilience.md): a person with change:apply ends it.
    const ended = await cli(homes.admin, [
      'changes',
      'fail',
      change.id,
      '--reason',
      'claim answer lost; nothing applied',
    ]);
    expect(ended).toMatchObject({ id: change.id, state: 'failed', reason: 'claim answer lost; nothing applied' });
    // Only a change applying can be ended so.
    await expect(cli(homes.admin, ['changes', 'fail', change.id, '--reason', 'again'])).rejects.toThrow(
      'ISOTYP_INVALID_STATE',
    );

    const again = await applyChange(deploy, change.id, target);
    expect(again.status, again.output).toBe(4);
    expect(again.json.error).toMatchObject({ code: 'ISOTYP_INVALID_STATE' });
    expect(again.json.error.message).toContain('is failed');
    // The control plane replayed the token's old claim; the CLI still ran nothing.
    expect(relay.claims.at(-1)).toBe(200);
    expect(ordersState(db)).toEqual(before);
    expect((await cp.store.changes.get('acme', change.id))?.state).toBe('failed');
  }, 120_000);

  it('says a refused resumed run leaves the change applying under its claim, and resumes once fixed', async () => {
    const { cp, homes } = site;
    await site.createTarget('billing');
    const { db, schema } = ordersTarget(mkdtempSync(join(homes.agent, 'billing-')));
    const { change } = await site.submitApproved(db, schema, 'billing');
    const target = { db, schema, id: (await cp.store.changes.get('acme', change.id))?.targetId ?? '' };
    const deploy = await ciToken('deploy-billing');
    const other = await ciToken('other-billing');

    await loseClaim(deploy, change.id, target);

    // The desired schema edited since: the plan made here is not the approved one.
    const approved = readFileSync(schema, 'utf8');
    writeFileSync(schema, `${approved}CREATE TABLE refunds (id INTEGER PRIMARY KEY);\n`);
    const refused = await applyChange(deploy, change.id, target);
    expect(refused.status, refused.output).not.toBe(0);
    expect(refused.json.error.hint).toContain(`Change ${change.id} stays applying under your claim`);
    expect(refused.json.error.hint).toContain(`isotyp changes fail ${change.id}`);
    // Someone else's refusal is only a refusal: the claim is not theirs (409), nothing more said.
    const intruder = await applyChange(other, change.id, target);
    expect(intruder.json.error.code, intruder.output).toBe(refused.json.error.code);
    expect(intruder.json.error.hint ?? '').not.toContain('stays applying');
    expect(relay.claims.at(-1)).toBe(409);
    expect(ordersState(db)).toEqual(before);
    expect((await cp.store.changes.get('acme', change.id))?.state).toBe('applying');

    writeFileSync(schema, approved);
    const resumed = await applyChange(deploy, change.id, target);
    expect(resumed.status, resumed.output).toBe(0);
    expect((await cp.store.changes.get('acme', change.id))?.state).toBe('applied');
    expect(ordersState(db)).toEqual({ columns: ['id', 'total', 'currency'], history: 1 });
  }, 120_000);
});
