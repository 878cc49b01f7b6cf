import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../scripts/test-support/postgres.js';
import { approvalOf, submissionBody, type TargetRef } from './test-support/changes.js';
import {
  ADMIN_PASSWORD,
  type LiveControlPlane,
  liveControlPlane,
  type Person,
} from './test-support/live-control-plane.js';

/**
 * The read routes answer from caches (storage/read-cache.ts) that a write must empty — also a
 * write made through another replica on the same database, and the passing of time where an
 * answer depends on it. Two control planes share one database here, as two replicas would.
 */
describe.each([
  ['SQLite', async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'isotyp-cp-replicas-')), 'cp.db')}`],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('read caches on %s, two replicas', (_name, database) => {
  let a: LiveControlPlane;
  let b: LiveControlPlane;
  let url: string;
  let adminA: string;
  let author: Person;
  let reviewer: Person;
  let target: TargetRef;

  beforeAll(async () => {
    url = await database();
    a = await liveControlPlane(url);
    b = await liveControlPlane(url);
    adminA = await a.login('admin@acme.test');
    author = await a.person(adminA, 'author@acme.test', ['dba', 'approver']);
    reviewer = await a.person(adminA, 'reviewer@acme.test', ['approver']);
    await a.initTrust(
      adminA,
      [
        { person: author, roles: ['dba', 'approver'] },
        { person: reviewer, roles: ['approver'] },
      ],
      [{ name: 'review', required: 1, role: 'approver' }],
    );
    target = await a.target(adminA);
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (url?.startsWith('sqlite:')) rmSync(join(url.slice('sqlite:'.length), '..'), { recursive: true, force: true });
  });

  it('shows on one replica the approval made through the other', async () => {
    const change = await a.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, target) });
    // Read twice on B: the second answer comes from its cache.
    for (let i = 0; i < 2; i++) {
      expect((await b.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token })).review.status).toBe('pending');
    }
    await a.ok('POST', `/v1/changes/${change.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, change, 'review') },
    });
    // A reads its own write at once; B as soon as the database tells it (a notification on PostgreSQL).
    const onA = await a.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token });
    expect([onA.state, onA.review.status]).toEqual(['approved', 'approved']);
    const onB = await eventually(
      () => b.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token }),
      (c) => c.state === 'approved',
    );
    expect(onB.review.status).toBe('approved');
    const listed = await eventually(
      () => b.ok('GET', '/v1/changes', { token: reviewer.token }),
      (page) => page.changes.some((c: { id: string; state: string }) => c.id === change.id && c.state === 'approved'),
    );
    expect(listed.changes.length).toBeGreaterThan(0);
  });

  it('lets a grant made through one replica count on the other', async () => {
    const user = await a.ok('POST', '/v1/users', {
      token: adminA,
      body: { email: 'late@acme.test', displayName: 'late', password: ADMIN_PASSWORD, grants: [] },
    });
    const viewer = { token: await b.login('late@acme.test') };
    // Signed in with no role: B refuses, and remembers who this is.
    for (let i = 0; i < 2; i++) expect((await b.call('GET', '/v1/targets', { token: viewer.token })).status).toBe(403);
    await a.ok('POST', `/v1/users/${user.id}/grants`, {
      token: adminA,
      body: { role: 'viewer', scope: { kind: 'org' } },
    });
    const answer = await eventually(
      () => b.call('GET', '/v1/targets', { token: viewer.token }),
      (r) => r.status === 200,
    );
    expect(answer.body.targets.map((t: { id: string }) => t.id)).toContain(target.targetId);
  });

  it('lists a new target on the other replica', async () => {
    expect((await b.ok('GET', '/v1/targets', { token: adminA })).targets).toHaveLength(1);
    const added = await a.ok('POST', '/v1/targets', {
      token: adminA,
      body: { environmentId: target.environmentId, name: 'billing-db', dialect: 'sqlite' },
    });
    const page = await eventually(
      () => b.ok('GET', '/v1/targets', { token: adminA }),
      (p) => p.targets.length === 2,
    );
    expect(page.targets.map((t: { id: string }) => t.id)).toContain(added.id);
  });

  it('turns a cached review when its approval expires, with nothing written', async () => {
    const change = await a.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, target) });
    await a.ok('POST', `/v1/changes/${change.id}/approvals`, {
      token: reviewer.token,
      body: { envelope: approvalOf(reviewer, change, 'review', { expiresInMs: 1500 }) },
    });
    expect((await a.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token })).review.status).toBe('approved');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const later = await a.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token });
    expect(later.review.status).toBe('pending');
    expect(later.review.refused.map((r: { code: string }) => r.code)).toEqual(['ISOTYP_APPROVAL_EXPIRED']);
  });

  it('sends a whole cached page only to callers who may read all of it, and filters it for the others', async () => {
    const project = await a.ok('POST', '/v1/projects', { token: adminA, body: { name: 'books' } });
    const env = await a.ok('POST', `/v1/projects/${project.id}/environments`, {
      token: adminA,
      body: { name: 'prod', privacyMode: 'structure' },
    });
    const other = await a.ok('POST', '/v1/targets', {
      token: adminA,
      body: { environmentId: env.id, name: 'ledger-db', dialect: 'postgres' },
    });
    const otherRef = { projectId: project.id, environmentId: env.id, targetId: other.id };
    const mine = await a.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, target) });
    const theirs = await a.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, otherRef) });
    await a.ok('POST', '/v1/users', {
      token: adminA,
      body: {
        email: 'scoped@acme.test',
        displayName: 'scoped',
        password: ADMIN_PASSWORD,
        grants: [{ role: 'viewer', scope: { kind: 'environment', projectId: project.id, environmentId: env.id } }],
      },
    });
    const scoped = await a.login('scoped@acme.test');
    const ids = (items: { id: string }[]) => items.map((item) => item.id);
    // The admin's answers first (the pages are then cached whole), then the scoped viewer's, twice.
    for (let i = 0; i < 2; i++) {
      expect(ids((await a.ok('GET', '/v1/targets', { token: adminA })).targets)).toEqual(
        expect.arrayContaining([target.targetId, other.id]),
      );
      expect(ids((await a.ok('GET', '/v1/changes', { token: adminA })).changes)).toEqual(
        expect.arrayContaining([mine.id, theirs.id]),
      );
      expect(ids((await a.ok('GET', '/v1/targets', { token: scoped })).targets)).toEqual([other.id]);
      expect(ids((await a.ok('GET', '/v1/changes', { token: scoped })).changes)).toEqual([theirs.id]);
    }
  });

  it('lists summaries: no submission, no lint findings, no object list; the change itself has them', async () => {
    const change = await a.ok('POST', '/v1/changes', { token: author.token, body: submissionBody(author, target) });
    const page = await a.ok('GET', `/v1/changes?targetId=${target.targetId}`, { token: reviewer.token });
    const summary = page.changes.find((c: { id: string }) => c.id === change.id);
    expect(summary).toMatchObject({ id: change.id, lintCount: 0, planDigest: change.planDigest });
    expect(summary).not.toHaveProperty('submission');
    expect(summary).not.toHaveProperty('lint');
    expect(summary.manifest).not.toHaveProperty('objects');
    expect(summary.manifest).toMatchObject({ risk: change.manifest.risk, dataLoss: change.manifest.dataLoss });
    const whole = await a.ok('GET', `/v1/changes/${change.id}`, { token: reviewer.token });
    expect(whole.submission).toEqual(change.submission);
    expect(whole.manifest.objects).toEqual(change.manifest.objects);
  });
});

/** Calls `read` until `done` holds of its answer (replicas hear of writes a little later); 5 s at most. */
async function eventually<T>(read: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const answer = await read();
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
