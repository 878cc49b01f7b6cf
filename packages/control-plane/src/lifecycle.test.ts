import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../scripts/test-support/postgres.js';
import { approvalOf, submissionBody, type TargetRef } from './test-support/changes.js';
import { type LiveControlPlane, liveControlPlane, type Person } from './test-support/live-control-plane.js';

/**
 * The whole change lifecycle over real HTTP on loopback, as `isotyp server start` serves it, on
 * the embedded SQLite store and on PostgreSQL: catalog, org trust, submit, layered signed
 * approvals, apply, roll back — and the audit entries each step leaves.
 */
describe.each([
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('change lifecycle on %s', (_name, database) => {
  let cp: LiveControlPlane;
  let admin: string;
  let author: Person;
  let reviewer: Person;
  let dba: Person;
  let target: TargetRef;

  beforeAll(async () => {
    cp = await liveControlPlane(await database());
    admin = await cp.login('admin@acme.test');
    author = await cp.person(admin, 'author@acme.test', ['dba', 'approver']);
    reviewer = await cp.person(admin, 'reviewer@acme.test', ['approver']);
    dba = await cp.person(admin, 'dba@acme.test', ['dba', 'approver']);
    await cp.initTrust(
      admin,
      [
        { person: author, roles: ['dba', 'approver'] },
        { person: reviewer, roles: ['approver'] },
        { person: dba, roles: ['dba', 'approver'] },
      ],
      [
        { name: 'review', required: 1, role: 'approver' },
        { name: 'dba', when: 'change.dataLoss || change.bump == "major"', required: 1, role: 'dba' },
      ],
    );
    target = await cp.target(admin);
  }, 60_000);

  afterAll(async () => {
    await cp?.close();
  });

  it('takes an additive change from submit through one approval to applied, versioning the target', async () => {
    const submitted = await cp.call('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, target),
    });
    expect(submitted.status).toBe(201);
    const change = submitted.body;
    expect(change).toMatchObject({
      state: 'submitted',
      fromVersion: '0.0.0',
      toVersion: '0.1.0',
      policyVersion: 1,
      authorUserId: author.userId,
    });

    const shown = await cp.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token });
    expect(shown.review.status).toBe('pending');
    expect(shown.review.layers.map((l: { name: string; applies: boolean }) => [l.name, l.applies])).toEqual([
      ['review', true],
      ['dba', false],
    ]);

    const approved = await cp.call('POST', `/v1/changes/${change.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, change, 'review') },
    });
    expect(approved.status).toBe(201);
    expect(approved.body.state).toBe('approved');

    const applying = await cp.ok('POST', `/v1/changes/${change.id}/transitions`, {
      token: dba.token,
      body: { to: 'applying' },
    });
    expect(applying.state).toBe('applying');
    const wrongDigest = await cp.call('POST', `/v1/changes/${change.id}/transitions`, {
      token: dba.token,
      body: { to: 'applied', digest: change.fromDigest },
    });
    expect(wrongDigest.body.error.code).toBe('ISOTYP_DIGEST_MISMATCH');
    const applied = await cp.ok('POST', `/v1/changes/${change.id}/transitions`, {
      token: dba.token,
      body: { to: 'applied', digest: change.toDigest },
    });
    expect(applied.state).toBe('applied');

    const tgt = await cp.ok('GET', `/v1/targets/${target.targetId}`, { token: reviewer.token });
    expect(tgt).toMatchObject({ version: '0.1.0', digest: change.toDigest });
    const versions = await cp.ok('GET', `/v1/targets/${target.targetId}/versions`, { token: reviewer.token });
    expect(versions.versions.map((v: { version: string }) => v.version)).toEqual(['0.1.0']);

    const rolledBack = await cp.ok('POST', `/v1/changes/${change.id}/transitions`, {
      token: dba.token,
      body: { to: 'rolled_back', reason: 'slow queries' },
    });
    expect(rolledBack.state).toBe('rolled_back');
    expect(await cp.ok('GET', `/v1/targets/${target.targetId}`, { token: reviewer.token })).toMatchObject({
      version: '0.0.0',
      digest: change.fromDigest,
    });
  });

  it('needs the dba layer too for a change that loses data, and refuses the author, a second layer by one person and a replay', async () => {
    const tgt = await cp.ok('GET', `/v1/targets/${target.targetId}`, { token: author.token });
    const change = await cp.ok('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, target, { dataLoss: true, bump: 'major', fromDigest: tgt.digest }),
    });
    expect(change.toVersion).toBe('1.0.0');

    const self = await cp.call('POST', `/v1/changes/${change.id}/approvals`, {
      token: author.token,
      body: { envelope: approvalOf(author, change, 'dba') },
    });
    expect([self.status, self.body.error.code]).toEqual([403, 'ISOTYP_SEPARATION_OF_DUTIES']);

    const first = approvalOf(dba, change, 'review');
    expect(
      (await cp.call('POST', `/v1/changes/${change.id}/approvals`, { token: dba.token, body: { envelope: first } }))
        .body.state,
    ).toBe('in_review');
    const replay = await cp.call('POST', `/v1/changes/${change.id}/approvals`, {
      token: dba.token,
      body: { envelope: first },
    });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('ISOTYP_APPROVAL_REPLAYED');
    const secondLayer = await cp.call('POST', `/v1/changes/${change.id}/approvals`, {
      token: dba.token,
      body: { envelope: approvalOf(dba, change, 'dba') },
    });
    expect(secondLayer.body.error.code).toBe('ISOTYP_SEPARATION_OF_DUTIES');
    const wrongRole = await cp.call('POST', `/v1/changes/${change.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, change, 'dba') },
    });
    expect(wrongRole.status).toBe(403);
    const stolenKey = await cp.call('POST', `/v1/changes/${change.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(dba, change, 'dba') },
    });
    expect(stolenKey.status).toBe(403);

    const stillInReview = await cp.ok('GET', `/v1/changes/${change.id}`, { token: author.token });
    expect(stillInReview.state).toBe('in_review');
    expect(stillInReview.review.layers.find((l: { name: string }) => l.name === 'dba')).toMatchObject({
      applies: true,
      missing: 1,
    });
    expect(stillInReview.approvals).toHaveLength(1);
  });

  it('binds approvals to their change: one for another change, target, plan or policy version does not count', async () => {
    const tgt = await cp.ok('GET', `/v1/targets/${target.targetId}`, { token: author.token });
    const a = await cp.ok('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, target, { fromDigest: tgt.digest }),
    });
    const b = await cp.ok('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, target, { fromDigest: tgt.digest }),
    });
    expect((await cp.ok('GET', `/v1/changes/${a.id}`, { token: author.token })).state).toBe('superseded');
    for (const forged of [
      approvalOf(reviewer, a, 'review'),
      approvalOf(reviewer, { ...b, planDigest: a.planDigest }, 'review'),
      approvalOf(reviewer, { ...b, targetId: 'tgt_other' }, 'review'),
      approvalOf(reviewer, b, 'review', { policyVersion: 2 }),
    ]) {
      const answer = await cp.call('POST', `/v1/changes/${b.id}/approvals`, {
        token: reviewer.token,
        body: { envelope: forged },
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
    expect((await cp.ok('GET', `/v1/changes/${b.id}`, { token: author.token })).state).toBe('submitted');
    const rejected = await cp.ok('POST', `/v1/changes/${b.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, b, 'review', { decision: 'reject' }) },
    });
    expect(rejected.state).toBe('rejected');
    const late = await cp.call('POST', `/v1/changes/${b.id}/transitions`, {
      token: dba.token,
      body: { to: 'applying' },
    });
    expect([late.status, late.body.error.code]).toEqual([409, 'ISOTYP_INVALID_STATE']);
  });

  it('answers the same idempotency key and body with the same change, and another body with 422', async () => {
    const tgt = await cp.ok('GET', `/v1/targets/${target.targetId}`, { token: author.token });
    const body = submissionBody(author, target, { fromDigest: tgt.digest });
    const first = await cp.call('POST', '/v1/changes', { token: author.token, body, idempotencyKey: 'submit-1' });
    const again = await cp.call('POST', '/v1/changes', { token: author.token, body, idempotencyKey: 'submit-1' });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await cp.call('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, target, { fromDigest: tgt.digest }),
      idempotencyKey: 'submit-1',
    });
    expect([other.status, other.body.error.code]).toEqual([422, 'ISOTYP_IDEMPOTENCY_MISMATCH']);
    const listed = await cp.ok('GET', `/v1/changes?targetId=${target.targetId}&state=submitted`, {
      token: author.token,
    });
    expect(listed.changes.filter((c: { id: string }) => c.id === first.body.id)).toHaveLength(1);
  });

  it('records every step in the audit log with a gap-free sequence', async () => {
    const rows = await cp.server.store.audit.range(0, await cp.server.store.audit.size());
    const actions = rows.map((r) => r.action);
    for (const action of [
      'project.create',
      'trust.policy.put',
      'change.submit',
      'change.approve',
      'change.approved',
      'change.applied',
      'change.rolled_back',
      'change.reject',
      'change.superseded',
    ]) {
      expect(actions).toContain(action);
    }
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
  });
});
