import {
  consistencyProof,
  type Ed25519KeyPair,
  formatVkey,
  fromBase64,
  fromHex,
  generateKeyPair,
  leafHash,
  openCheckpoint,
  parseVkey,
  rootOf,
  signCheckpoint,
  toBase64,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../../scripts/test-support/postgres.js';
import { appendAudit } from '../audit/audit-log.js';
import { ADMIN_PASSWORD, type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/** An agent's log as the agent keeps it: leaves, and checkpoints signed with its own key. */
class AgentLog {
  readonly leaves: Uint8Array[] = [];
  constructor(
    readonly name: string,
    readonly key: Ed25519KeyPair = generateKeyPair(),
  ) {}
  get vkey(): string {
    return formatVkey({ name: this.name, publicKey: this.key.publicKey });
  }
  grow(n: number): this {
    for (let i = 0; i < n; i++)
      this.leaves.push(leafHash(new TextEncoder().encode(`${this.name} ${this.leaves.length}`)));
    return this;
  }
  note(size = this.leaves.length, key = this.key, root = rootOf(this.leaves.slice(0, size))): string {
    return signCheckpoint(
      { origin: this.name, size, root: toBase64(root) },
      { name: this.name, secretKey: key.secretKey },
    );
  }
  proof(from: number, to = this.leaves.length): string[] {
    return consistencyProof(this.leaves, from, to).map(toHex);
  }
}

const encoder = new TextEncoder();

interface Member {
  userId: string;
  token: string;
}

describe.each([
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('audit routes on %s', (_name, database) => {
  let cp: LiveControlPlane;
  let admin: string;
  let auditor: Member;
  let viewer: Member;
  let agent: Member;

  /** A signed-in user with org-wide roles (no approver key: these roles cannot register one). */
  const member = async (email: string, roles: string[]): Promise<Member> => {
    const user = await cp.ok('POST', '/v1/users', {
      token: admin,
      body: {
        email,
        displayName: email.split('@')[0],
        password: ADMIN_PASSWORD,
        grants: roles.map((role) => ({ role, scope: { kind: 'org' } })),
      },
    });
    return { userId: user.id, token: await cp.login(email) };
  };

  const report = (body: unknown, token = agent.token) =>
    cp.call('POST', '/v1/audit/agent-checkpoints', { token, body });
  const entriesOf = async (entity: string) =>
    (await cp.ok('GET', `/v1/audit/entries?entity=${encodeURIComponent(entity)}&limit=1000`, { token: auditor.token }))
      .entries as { seq: number; action: string; actor: string; entry: string }[];

  beforeAll(async () => {
    cp = await liveControlPlane(await database());
    admin = await cp.login('admin@acme.test');
    auditor = await member('auditor@acme.test', ['auditor']);
    viewer = await member('viewer@acme.test', ['viewer']);
    agent = await member('agent@acme.test', ['agent']);
    // Another organisation shares the one global tree.
    const store = cp.server.store;
    await store.orgs.create({ id: 'globex', name: 'Globex', createdAt: new Date().toISOString() });
    for (let i = 0; i < 3; i++) {
      await appendAudit(store, {
        orgId: 'globex',
        actor: 'user:hank',
        action: 'change.submit',
        entity: { kind: 'change', id: 'chg_shared' },
      });
    }
    await appendAudit(store, {
      orgId: 'acme',
      actor: 'user:ana',
      action: 'change.submit',
      entity: { kind: 'change', id: 'chg_shared' },
    });
  }, 60_000);

  afterAll(async () => {
    await cp?.close();
  });

  it('publishes a signed checkpoint of the whole log that the published key verifies', async () => {
    const key = await cp.ok('GET', '/v1/audit/log-key', { token: viewer.token });
    expect(key.name).toBe('isotyp.control-plane/127.0.0.1:7300');
    const trusted = parseVkey(key.vkey);
    expect(toBase64(trusted.publicKey)).toBe(key.publicKey);
    const checkpoint = await cp.ok('GET', '/v1/audit/checkpoint', { token: viewer.token });
    const size = await cp.server.store.audit.size();
    const leaves = (await cp.server.store.audit.range(0, size)).map((r) => fromHex(r.leafHash));
    expect(checkpoint).toMatchObject({ origin: key.name, size, root: toBase64(rootOf(leaves)) });
    expect(openCheckpoint(checkpoint.note, [trusted], key.name)).toMatchObject({ size, root: checkpoint.root });

    const text = await fetch(`${cp.url}/v1/audit/checkpoint`, {
      headers: { authorization: `Bearer ${viewer.token}`, accept: 'text/plain' },
    });
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(openCheckpoint(await text.text(), [trusted], key.name).size).toBeGreaterThanOrEqual(size);
    const vkeyText = await fetch(`${cp.url}/v1/audit/log-key`, {
      headers: { authorization: `Bearer ${viewer.token}`, accept: 'text/plain' },
    });
    expect(await vkeyText.text()).toBe(`${key.vkey}\n`);
    expect((await cp.call('GET', '/v1/audit/checkpoint')).status).toBe(401);
  });

  it('proves inclusion of the caller’s entries and consistency between checkpoints, both verifying', async () => {
    const before = await cp.ok('GET', '/v1/audit/checkpoint', { token: auditor.token });
    await cp.ok('POST', '/v1/projects', { token: admin, body: { name: `p${before.size}` } });
    const after = await cp.ok('GET', '/v1/audit/checkpoint', { token: auditor.token });
    expect(after.size).toBeGreaterThan(before.size);

    const { hashes } = await cp.ok('GET', `/v1/audit/proof/consistency?from=${before.size}&to=${after.size}`, {
      token: agent.token,
    });
    expect(
      verifyConsistency(before.size, after.size, fromBase64(before.root), fromBase64(after.root), hashes.map(fromHex)),
    ).toBe(true);
    const same = await cp.ok('GET', `/v1/audit/proof/consistency?from=${after.size}&to=${after.size}`, {
      token: auditor.token,
    });
    expect(same.hashes).toEqual([]);

    const [mine] = (await entriesOf('change:chg_shared')).slice(-1);
    expect(mine).toBeDefined();
    for (const [size, root] of [
      [after.size, after.root],
      [before.size, before.root],
    ] as const) {
      const proof = await cp.ok('GET', `/v1/audit/proof/inclusion?seq=${mine?.seq}&size=${size}`, {
        token: auditor.token,
      });
      expect(proof).toMatchObject({ leafIndex: mine?.seq, treeSize: size, entry: mine?.entry });
      const leaf = leafHash(encoder.encode(proof.entry));
      expect(verifyInclusion(proof.leafIndex, size, leaf, proof.hashes.map(fromHex), fromBase64(root))).toBe(true);
    }
    // Without a size: the current tree.
    const current = await cp.ok('GET', `/v1/audit/proof/inclusion?seq=${mine?.seq}`, { token: auditor.token });
    expect(current.treeSize).toBeGreaterThanOrEqual(after.size);

    const bad = await cp.call('GET', `/v1/audit/proof/consistency?from=${after.size}&to=${after.size + 1000}`, {
      token: auditor.token,
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'ISOTYP_INVALID_INPUT' } } });
    expect((await cp.call('GET', '/v1/audit/proof/consistency?from=0&to=1', { token: auditor.token })).status).toBe(
      400,
    );
  });

  it('answers 404 for another organisation’s entry, and never shows its entries', async () => {
    const globex = await cp.server.store.audit.byEntity('globex', 'change', 'chg_shared');
    expect(globex).toHaveLength(3);
    for (const entry of globex) {
      const answer = await cp.call('GET', `/v1/audit/proof/inclusion?seq=${entry.seq}`, { token: admin });
      expect(answer).toMatchObject({ status: 404, body: { error: { code: 'ISOTYP_NOT_FOUND' } } });
      expect(JSON.stringify(answer.body)).not.toContain('hank');
    }
    const mine = await entriesOf('change:chg_shared');
    expect(mine.map((e) => e.actor)).toEqual(['user:ana']);
    expect(mine.every((e) => JSON.parse(e.entry).org === 'acme')).toBe(true);
    const beyond = await cp.call('GET', '/v1/audit/proof/inclusion?seq=999999', { token: auditor.token });
    expect(beyond.status).toBe(404);
  });

  it('pages an entity’s story and keeps it to holders of audit:read', async () => {
    const id = 'chg_paged';
    for (let i = 0; i < 5; i++) {
      await appendAudit(cp.server.store, {
        orgId: 'acme',
        actor: `user:u${i}`,
        action: `step.${i}`,
        entity: { kind: 'change', id },
      });
    }
    const first = await cp.ok('GET', `/v1/audit/entries?entity=change:${id}&limit=2`, { token: auditor.token });
    expect(first.entries.map((e: { action: string }) => e.action)).toEqual(['step.0', 'step.1']);
    expect(first.entries[0]).toMatchObject({ actor: 'user:u0', entity: { kind: 'change', id } });
    const second = await cp.ok('GET', `/v1/audit/entries?entity=change:${id}&limit=2&after=${first.next}`, {
      token: auditor.token,
    });
    expect(second.entries.map((e: { action: string }) => e.action)).toEqual(['step.2', 'step.3']);
    expect((await cp.call('GET', `/v1/audit/entries?entity=change:${id}`, { token: viewer.token })).status).toBe(403);
    expect((await cp.call('GET', '/v1/audit/proof/inclusion?seq=0', { token: viewer.token })).status).toBe(403);
    expect((await cp.call('GET', '/v1/audit/proof/consistency?from=1&to=1', { token: viewer.token })).status).toBe(403);
    expect((await cp.call('GET', '/v1/audit/entries?entity=nocolon', { token: auditor.token })).status).toBe(400);
  });

  describe('agent checkpoints', () => {
    it('pins the first key, accepts consistent growth, and repeats idempotently', async () => {
      const log = new AgentLog('isotyp.agent/ag_ok').grow(5);
      const first = await report({ agentId: 'ag_ok', note: log.note(), vkey: log.vkey, consistency: [] });
      expect(first).toMatchObject({ status: 201, body: { agentId: 'ag_ok', size: 5 } });
      log.grow(8);
      const second = await report({ agentId: 'ag_ok', note: log.note(), consistency: log.proof(5) });
      expect(second).toMatchObject({ status: 201, body: { size: 13 } });
      const again = await report({ agentId: 'ag_ok', note: log.note(), vkey: log.vkey, consistency: [] });
      expect(again).toMatchObject({ status: 200, body: { size: 13 } });
      const latest = await cp.ok('GET', '/v1/audit/agent-checkpoints/ag_ok', { token: auditor.token });
      expect(latest).toMatchObject({ size: 13, root: toBase64(rootOf(log.leaves)), note: log.note() });
      expect(await cp.server.store.agentCheckpoints.list('acme', 'ag_ok')).toHaveLength(2);
      expect((await cp.call('GET', '/v1/audit/agent-checkpoints/ag_none', { token: agent.token })).status).toBe(404);
      // Reporting needs agent:report; an auditor only reads.
      expect((await report({ agentId: 'ag_ok', note: log.note(), consistency: [] }, auditor.token)).status).toBe(403);
    });

    it('raises an alert for truncation, a fork, a bad proof, a bad signature and a swapped key, storing none', async () => {
      const log = new AgentLog('isotyp.agent/ag_bad').grow(10);
      await cp.ok('POST', '/v1/audit/agent-checkpoints', {
        token: agent.token,
        body: { agentId: 'ag_bad', note: log.note(), vkey: log.vkey, consistency: [] },
      });
      const accepted = await cp.ok('GET', '/v1/audit/agent-checkpoints/ag_bad', { token: agent.token });
      const forked = new AgentLog(log.name, log.key).grow(10);
      forked.leaves[9] = leafHash(encoder.encode('rewritten'));
      const longer = new AgentLog(log.name, log.key).grow(16);
      const forkedLonger = new AgentLog(log.name, log.key).grow(16);
      forkedLonger.leaves[3] = leafHash(encoder.encode('rewritten history'));
      const stranger = generateKeyPair();
      const impostor = new AgentLog(log.name, stranger).grow(16);
      const cases = [
        ['truncation', 'audit.fork-detected', { note: log.note(6), consistency: [] }],
        ['fork', 'audit.fork-detected', { note: forked.note(), consistency: [] }],
        ['inconsistent', 'audit.fork-detected', { note: forkedLonger.note(), consistency: forkedLonger.proof(10) }],
        ['inconsistent', 'audit.fork-detected', { note: longer.note(), consistency: [] }],
        ['inconsistent', 'audit.fork-detected', { note: longer.note(), consistency: longer.proof(10).reverse() }],
        ['signature', 'audit.checkpoint-forged', { note: longer.note(16, stranger), consistency: longer.proof(10) }],
        ['key-changed', 'audit.checkpoint-forged', { note: impostor.note(), vkey: impostor.vkey, consistency: [] }],
      ] as const;
      for (const [reason, action, body] of cases) {
        const before = (await entriesOf('agent:ag_bad')).length;
        const answer = await report({ agentId: 'ag_bad', ...body });
        expect(answer, reason).toMatchObject({
          status: 409,
          body: { error: { code: 'ISOTYP_AUDIT_TAMPERED', details: { reason, agentId: 'ag_bad' } } },
        });
        const alerts = await entriesOf('agent:ag_bad');
        expect(alerts, reason).toHaveLength(before + 1);
        expect(alerts.at(-1), reason).toMatchObject({ action, actor: `user:${agent.userId}` });
        expect(await cp.ok('GET', '/v1/audit/agent-checkpoints/ag_bad', { token: agent.token })).toEqual(accepted);
      }
      expect(await cp.server.store.agentCheckpoints.list('acme', 'ag_bad')).toHaveLength(1);
      // The honest continuation is still accepted afterwards.
      const next = await report({ agentId: 'ag_bad', note: longer.note(), consistency: longer.proof(10) });
      expect(next).toMatchObject({ status: 201, body: { size: 16 } });
    });

    it('refuses malformed reports as bad input without raising an alert', async () => {
      const log = new AgentLog('isotyp.agent/ag_input').grow(3);
      const cases = [
        { agentId: 'ag_input', note: log.note(), consistency: [] },
        { agentId: 'ag_input', note: 'not a note', vkey: log.vkey, consistency: [] },
        { agentId: 'ag_input', note: log.note(), vkey: 'nonsense', consistency: [] },
        { agentId: 'ag_input', note: log.note(), vkey: log.vkey, consistency: ['ABC'] },
        { agentId: 'ag input', note: log.note(), vkey: log.vkey, consistency: [] },
      ];
      for (const body of cases) {
        const answer = await report(body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toMatch(/^ISOTYP_(INVALID_INPUT|KEY_INVALID)$/);
      }
      // A first report whose note its own vkey does not verify: refused, but nothing was pinned to betray.
      const unsigned = await report({
        agentId: 'ag_input',
        note: new AgentLog('isotyp.agent/ag_input').grow(3).note(),
        vkey: log.vkey,
      });
      expect(unsigned).toMatchObject({ status: 401, body: { error: { code: 'ISOTYP_KEY_UNKNOWN' } } });
      expect(await entriesOf('agent:ag_input')).toEqual([]);
      expect(await cp.server.store.agentCheckpoints.list('acme', 'ag_input')).toEqual([]);
    });
  });
});
