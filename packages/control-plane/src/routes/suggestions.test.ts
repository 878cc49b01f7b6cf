import {
  type PrivacyMode,
  type Suggestion,
  suggestionDigest,
  suggestionReport,
  suggestionScore,
} from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql, tempDatabase } from '../../../../scripts/test-support/postgres.js';
import { bootstrapOrg } from '../identity/bootstrap.js';
import { enrolmentRequest, type TlsCallOptions, tlsCall } from '../test-support/agent-enrolment.js';
import { manifestFor, planDigests, submissionBody, type TargetRef } from '../test-support/changes.js';
import {
  ADMIN_PASSWORD,
  type LiveControlPlane,
  liveControlPlane,
  type Person,
} from '../test-support/live-control-plane.js';

/** A suggestion as the advisor makes one: `table` names what it is about, and makes its digest. */
function suggestion(table: string, overrides: Partial<Suggestion> = {}): Suggestion {
  const base = {
    kind: 'nullable-without-nulls' as const,
    source: 'rule' as const,
    objects: [{ kind: 'column' as const, namespace: 'public', name: `${table}.customer_id` }],
    rationale: 'No row has a NULL here; NOT NULL says so.',
    edits: [{ op: 'set-not-null' as const, namespace: 'public', table, column: 'customer_id' }],
    impact: 'high' as const,
    confidence: 0.9,
    risk: 'safe' as const,
    ...overrides,
  };
  return { ...base, score: overrides.score ?? suggestionScore(base) };
}

/**
 * Schema-advisor suggestions over real HTTPS on loopback — reported by an enrolled agent over
 * mutual TLS or by a person, deduplicated by the proposal's digest, reviewed, and handed back to
 * the agent once accepted — on the embedded SQLite store and on PostgreSQL.
 */
describe.each([
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('suggestions on %s', (_name, database) => {
  let cp: LiveControlPlane;
  let caPem: string;
  let databaseUrl: string | undefined;
  let admin: string;
  let dba: Person;
  let approver: Person;
  let viewer: string;
  let otherOrg: string;
  let target: TargetRef;
  let secret: TargetRef;

  const report = (token: string, t: TargetRef, suggestions: unknown[]) =>
    cp.call('POST', `/v1/targets/${t.targetId}/suggestions`, { token, body: { suggestions } });
  const reportsOf = (mode: PrivacyMode, ...items: Suggestion[]) => items.map((s) => suggestionReport(s, mode));
  const list = async (query = '', token = viewer) => {
    const answer = await cp.call('GET', `/v1/suggestions${query}`, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.suggestions as { id: string; digest: string; state: string; score: number }[];
  };
  const idOf = async (s: Suggestion) => {
    const found = (await list('?limit=200', admin)).find((row) => row.digest === suggestionDigest(s));
    if (found === undefined) throw new Error(`not reported: ${suggestionDigest(s)}`);
    return found.id;
  };
  const review = (token: string, id: string, body: unknown) =>
    cp.call('POST', `/v1/suggestions/${id}/review`, { token, body });
  /** Runs SQL on the control plane's database behind its back (to move a snooze into the past). */
  const exec = async (sql: string) => {
    if (databaseUrl !== undefined) return runSql(databaseUrl, sql);
    const db = new Database(cp.databaseFile);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  };
  const tls = (path: string, options: TlsCallOptions = {}) => tlsCall(`${cp.url}${path}`, caPem, options);
  const enrol = async (name: string) => {
    const { token } = (await tls('/v1/agents/enrolment-tokens', { method: 'POST', token: admin, body: { name } })).body;
    const sent = enrolmentRequest(token);
    const enrolled = await tls('/v1/agents/enroll', { method: 'POST', body: sent.body });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    const agentId = enrolled.body.agentId as string;
    return { agentId, cert: { cert: enrolled.body.certificate as string, key: sent.keyPem } };
  };

  beforeAll(async () => {
    databaseUrl = await database();
    cp = await liveControlPlane(databaseUrl, { tls: true });
    caPem = (await cp.server.store.authorities.active())?.certificatePem as string;
    admin = await cp.login('admin@acme.test');
    dba = await cp.person(admin, 'dba@acme.test', ['dba']);
    approver = await cp.person(admin, 'approver@acme.test', ['approver']);
    await cp.ok('POST', '/v1/users', {
      token: admin,
      body: {
        email: 'viewer@acme.test',
        displayName: 'v',
        password: ADMIN_PASSWORD,
        grants: [{ role: 'viewer', scope: { kind: 'org' } }],
      },
    });
    viewer = await cp.login('viewer@acme.test');
    await cp.initTrust(
      admin,
      [
        { person: dba, roles: ['dba', 'approver'] },
        { person: approver, roles: ['approver'] },
      ],
      [{ name: 'review', required: 1, role: 'approver' }],
    );
    target = await cp.target(admin, { name: 'orders-db' });
    secret = await cp.target(admin, { name: 'vault-db', privacyMode: 'digest' });
    await bootstrapOrg({
      store: cp.server.store,
      orgId: 'globex',
      orgName: 'Globex',
      adminEmail: 'admin@globex.test',
      adminPassword: ADMIN_PASSWORD,
    });
    otherOrg = await cp.login('admin@globex.test', ADMIN_PASSWORD, 'globex');
  }, 60_000);

  afterAll(async () => {
    await cp?.close();
  });

  it('stores a report once per proposal: the same digest again refreshes it and keeps its review', async () => {
    const [a, b, c] = [suggestion('a1'), suggestion('a2', { impact: 'medium' }), suggestion('a3')];
    const first = await report(dba.token, target, reportsOf('structure', a, b, c));
    expect([first.status, first.body]).toEqual([200, { created: 3, updated: 0 }]);
    const rejected = await review(dba.token, await idOf(c), { decision: 'reject', reason: 'a legacy column' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);

    const calmer = suggestion('a1', { confidence: 0.5 });
    expect(suggestionDigest(calmer)).toBe(suggestionDigest(a));
    const d = suggestion('a4');
    const second = await report(dba.token, target, reportsOf('structure', calmer, c, d));
    expect([second.status, second.body]).toEqual([200, { created: 1, updated: 2 }]);

    const rows = (await list(`?targetId=${target.targetId}&limit=200`)).filter((r) =>
      [a, b, c, d].some((s) => suggestionDigest(s) === r.digest),
    );
    expect(rows).toHaveLength(4);
    const byDigest = Object.fromEntries(rows.map((r) => [r.digest, r]));
    expect(byDigest[suggestionDigest(a)]).toMatchObject({ score: 50, state: 'new', reportedBy: `user:${dba.userId}` });
    expect(byDigest[suggestionDigest(c)]).toMatchObject({ state: 'rejected', reason: 'a legacy column' });
    expect(byDigest[suggestionDigest(a)]).toMatchObject({
      objects: [{ kind: 'column', namespace: 'public', name: 'a1.customer_id' }],
      editCount: 1,
      kind: 'nullable-without-nulls',
    });
    const audit = await cp.server.store.audit.byEntity('acme', 'target', target.targetId);
    expect(audit.filter((e) => e.action === 'suggestion.report')).toHaveLength(2);
  });

  it('refuses object names in digest mode, and takes the digest-mode report', async () => {
    const named = suggestion('s1');
    const refused = await report(dba.token, secret, reportsOf('structure', named));
    expect([refused.status, refused.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    expect(refused.body.error.message).toContain('privacy mode is digest');
    expect(await list(`?targetId=${secret.targetId}`, admin)).toEqual([]);

    const taken = await report(dba.token, secret, reportsOf('digest', named));
    expect(taken.body).toEqual({ created: 1, updated: 0 });
    const [stored] = await list(`?targetId=${secret.targetId}`, admin);
    expect(stored).toMatchObject({ digest: suggestionDigest(named), objects: [] });
  });

  it('lets only reporters report: viewers, other organisations and malformed reports are refused', async () => {
    const one = reportsOf('structure', suggestion('r1'));
    expect((await report(viewer, target, one)).status).toBe(403);
    expect((await report(approver.token, target, one)).status).toBe(403);
    const foreign = await report(otherOrg, target, one);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'ISOTYP_NOT_FOUND']);
    const unfiltered = await report(dba.token, target, [suggestion('r1')]);
    expect([unfiltered.status, unfiltered.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    const tooMany = await report(
      dba.token,
      target,
      Array.from({ length: 501 }, () => one[0]),
    );
    expect(tooMany.status).toBe(400);
    expect((await list('?limit=200', admin)).some((r) => r.digest === one[0]?.digest)).toBe(false);
  });

  it('lists highest score first, then oldest first, filtered by state, target and what the caller may read', async () => {
    const t = await cp.target(admin, { name: 'ranked-db' });
    const low = suggestion('l1', { impact: 'low' });
    const high = suggestion('h1');
    const sameHighLater = suggestion('h2');
    await report(dba.token, t, reportsOf('structure', low, high));
    await report(dba.token, t, reportsOf('structure', sameHighLater));
    const ranked = await list(`?targetId=${t.targetId}`);
    expect(ranked.map((r) => r.digest)).toEqual([high, sameHighLater, low].map((s) => suggestionDigest(s)));
    expect(ranked.map((r) => r.score)).toEqual([90, 90, 32]);
    expect((await list(`?targetId=${t.targetId}&limit=1`)).map((r) => r.digest)).toEqual([suggestionDigest(high)]);

    await review(dba.token, await idOf(high), { decision: 'accept' });
    expect((await list(`?targetId=${t.targetId}&state=new`)).map((r) => r.digest)).toEqual(
      [sameHighLater, low].map((s) => suggestionDigest(s)),
    );
    expect((await list(`?targetId=${t.targetId}&state=accepted&state=rejected`)).map((r) => r.digest)).toEqual([
      suggestionDigest(high),
    ]);
    expect((await cp.call('GET', '/v1/suggestions?state=maybe', { token: viewer })).status).toBe(400);

    // A viewer of another project sees none of these; another organisation sees nothing.
    const lab = await cp.ok('POST', '/v1/projects', { token: admin, body: { name: 'lab' } });
    await cp.ok('POST', '/v1/users', {
      token: admin,
      body: {
        email: 'lab@acme.test',
        displayName: 'lab',
        password: ADMIN_PASSWORD,
        grants: [{ role: 'viewer', scope: { kind: 'project', projectId: lab.id } }],
      },
    });
    const labViewer = await cp.login('lab@acme.test');
    expect(await list('', labViewer)).toEqual([]);
    expect(await list(`?targetId=${t.targetId}`, otherOrg)).toEqual([]);
    const one = await cp.call('GET', `/v1/suggestions/${await idOf(low)}`, { token: labViewer });
    expect(one.status).toBe(403);
  });

  it('records accept and reject with the reviewer; a reason is required to reject; a decision is final', async () => {
    const [x, y] = [suggestion('v1'), suggestion('v2')];
    await report(dba.token, target, reportsOf('structure', x, y));
    const [xId, yId] = [await idOf(x), await idOf(y)];

    expect((await review(viewer, xId, { decision: 'accept' })).status).toBe(403);
    expect((await review(approver.token, xId, { decision: 'accept' })).status).toBe(403);
    const foreign = await review(otherOrg, xId, { decision: 'accept' });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'ISOTYP_NOT_FOUND']);
    expect((await cp.call('GET', `/v1/suggestions/${xId}`, { token: otherOrg })).status).toBe(404);

    const accepted = await review(dba.token, xId, { decision: 'accept' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ state: 'accepted', reviewerUserId: dba.userId });
    expect(accepted.body.reviewedAt).toEqual(expect.any(String));
    const twice = await review(admin, xId, { decision: 'reject', reason: 'changed my mind' });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'ISOTYP_INVALID_STATE']);

    const reasonless = await review(dba.token, yId, { decision: 'reject' });
    expect([reasonless.status, reasonless.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    expect(reasonless.body.error.message).toContain('reason');
    const blank = await review(dba.token, yId, { decision: 'reject', reason: '   ' });
    expect(blank.status).toBe(400);
    const rejected = await review(dba.token, yId, { decision: 'reject', reason: 'the column is being dropped' });
    expect(rejected.body).toMatchObject({ state: 'rejected', reason: 'the column is being dropped' });
    expect((await cp.ok('GET', `/v1/suggestions/${yId}`, { token: viewer })).state).toBe('rejected');

    const audit = await cp.server.store.audit.byEntity('acme', 'suggestion', xId);
    expect(audit.map((e) => [e.action, JSON.parse(e.entry).actor])).toEqual([
      ['suggestion.accept', `user:${dba.userId}`],
    ]);
  });

  it('refuses to accept a suggestion with nothing to draft', async () => {
    const look = suggestion('k1', { edits: [] });
    await report(dba.token, target, reportsOf('structure', look));
    const answer = await review(dba.token, await idOf(look), { decision: 'accept' });
    expect([answer.status, answer.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    expect((await review(dba.token, await idOf(look), { decision: 'snooze', snoozeDays: 1 })).status).toBe(200);
  });

  it('snoozes for some days; the suggestion is new again once the snooze has ended', async () => {
    const z = suggestion('z1');
    await report(dba.token, target, reportsOf('structure', z));
    const id = await idOf(z);
    expect((await review(dba.token, id, { decision: 'snooze', snoozeDays: 91 })).status).toBe(400);
    const before = Date.now();
    const snoozed = await review(dba.token, id, { decision: 'snooze', snoozeDays: 3 });
    expect(snoozed.body.state).toBe('snoozed');
    const until = Date.parse(snoozed.body.snoozedUntil);
    expect(until - before).toBeGreaterThanOrEqual(3 * 86_400_000 - 1000);
    expect(until - before).toBeLessThan(3 * 86_400_000 + 60_000);
    expect((await list(`?targetId=${target.targetId}&state=snoozed`)).map((r) => r.id)).toContain(id);
    expect((await list(`?targetId=${target.targetId}&state=new`)).map((r) => r.id)).not.toContain(id);
    // Reported again while snoozed: still snoozed.
    expect((await report(dba.token, target, reportsOf('structure', z))).body).toEqual({ created: 0, updated: 1 });
    expect((await cp.ok('GET', `/v1/suggestions/${id}`, { token: viewer })).state).toBe('snoozed');

    await exec(`UPDATE suggestions SET snoozed_until = '2020-01-01T00:00:00.000Z' WHERE id = '${id}'`);
    expect((await cp.ok('GET', `/v1/suggestions/${id}`, { token: viewer })).state).toBe('new');
    expect((await list(`?targetId=${target.targetId}&state=new`)).map((r) => r.id)).toContain(id);
    await report(dba.token, target, reportsOf('structure', z));
    const stored = await cp.server.store.suggestions.get('acme', id);
    expect([stored?.state, stored?.snoozedUntil]).toEqual(['new', undefined]);
    const accepted = await review(dba.token, id, { decision: 'accept' });
    expect(accepted.body.state).toBe('accepted');
  });

  it('hands an agent the accepted suggestions of its targets until it notes the change drafted from one', async () => {
    const edge = await enrol('edge-advisor');
    const mine = await cp.target(admin, { name: 'agent-db' });
    await cp.ok('POST', `/v1/targets/${mine.targetId}/agent`, { token: admin, body: { agentId: edge.agentId } });
    const asAgent = (path: string, options: TlsCallOptions = {}) => tls(path, { ...options, cert: edge.cert });

    const [p, q, r] = [suggestion('g1'), suggestion('g2', { impact: 'medium' }), suggestion('g3')];
    const reported = await asAgent(`/v1/targets/${mine.targetId}/suggestions`, {
      method: 'POST',
      body: { suggestions: reportsOf('structure', p, q, r) },
    });
    expect([reported.status, reported.body]).toEqual([200, { created: 3, updated: 0 }]);
    expect((await cp.ok('GET', `/v1/suggestions/${await idOf(p)}`, { token: viewer })).reportedBy).toBe(
      `agent:${edge.agentId}`,
    );
    // Not its target: refused, even in its own organisation.
    const elsewhere = await asAgent(`/v1/targets/${target.targetId}/suggestions`, {
      method: 'POST',
      body: { suggestions: reportsOf('structure', suggestion('g9')) },
    });
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([403, 'ISOTYP_FORBIDDEN']);

    const accepted = async () =>
      ((await asAgent('/v1/agent/suggestions/accepted')).body.suggestions as { id: string }[]).map((s) => s.id);
    expect(await accepted()).toEqual([]);
    const [pId, qId, rId] = [await idOf(p), await idOf(q), await idOf(r)];
    await review(dba.token, pId, { decision: 'accept' });
    await review(dba.token, qId, { decision: 'accept' });
    await review(dba.token, rId, { decision: 'reject', reason: 'not now' });
    // Accepted elsewhere (a target in nobody's care): not this agent's business.
    const notMine = suggestion('g8');
    await report(dba.token, target, reportsOf('structure', notMine));
    await review(dba.token, await idOf(notMine), { decision: 'accept' });
    expect(await accepted()).toEqual([pId, qId]);
    const person = await cp.call('GET', '/v1/agent/suggestions/accepted', { token: admin });
    expect([person.status, person.body.error.code]).toEqual([403, 'ISOTYP_FORBIDDEN']);

    const change = await cp.ok('POST', '/v1/changes', { token: dba.token, body: submissionBody(dba, mine) });
    const drafted = await asAgent(`/v1/suggestions/${pId}/drafted`, { method: 'POST', body: { changeId: change.id } });
    expect(drafted.status, JSON.stringify(drafted.body)).toBe(200);
    expect(drafted.body).toMatchObject({ state: 'accepted', changeId: change.id });
    expect(await accepted()).toEqual([qId]);
    // A retry is answered the same; another change for the same suggestion is refused.
    const again = await asAgent(`/v1/suggestions/${pId}/drafted`, { method: 'POST', body: { changeId: change.id } });
    expect(again.status).toBe(200);
    const other = await cp.ok('POST', '/v1/changes', { token: dba.token, body: submissionBody(dba, mine) });
    const second = await asAgent(`/v1/suggestions/${pId}/drafted`, { method: 'POST', body: { changeId: other.id } });
    expect([second.status, second.body.error.code]).toEqual([409, 'ISOTYP_CONFLICT']);
    const fromRejected = await asAgent(`/v1/suggestions/${rId}/drafted`, {
      method: 'POST',
      body: { changeId: other.id },
    });
    expect([fromRejected.status, fromRejected.body.error.code]).toEqual([409, 'ISOTYP_INVALID_STATE']);
    const offTarget = await cp.ok('POST', '/v1/changes', { token: dba.token, body: submissionBody(dba, target) });
    const wrongTarget = await cp.call('POST', `/v1/suggestions/${qId}/drafted`, {
      token: dba.token,
      body: { changeId: offTarget.id },
    });
    expect([wrongTarget.status, wrongTarget.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    expect(
      (await cp.call('POST', `/v1/suggestions/${qId}/drafted`, { token: viewer, body: { changeId: other.id } })).status,
    ).toBe(403);
    const byPerson = await cp.call('POST', `/v1/suggestions/${qId}/drafted`, {
      token: dba.token,
      body: { changeId: other.id },
    });
    expect(byPerson.body).toMatchObject({ state: 'accepted', changeId: other.id });
    expect(await accepted()).toEqual([]);

    const audit = await cp.server.store.audit.byEntity('acme', 'suggestion', pId);
    expect(audit.map((e) => [e.action, JSON.parse(e.entry).actor])).toEqual([
      ['suggestion.accept', `user:${dba.userId}`],
      ['suggestion.drafted', `agent:${edge.agentId}`],
    ]);
  });

  it('takes the plan an agent drafts from an accepted suggestion of its target, until a change is drafted from it', async () => {
    const planner = await enrol('plan-advisor');
    const neighbour = await enrol('neighbour-advisor');
    const [mine, theirs] = [await cp.target(admin, { name: 'plan-db' }), await cp.target(admin, { name: 'next-db' })];
    await cp.ok('POST', `/v1/targets/${mine.targetId}/agent`, { token: admin, body: { agentId: planner.agentId } });
    await cp.ok('POST', `/v1/targets/${theirs.targetId}/agent`, { token: admin, body: { agentId: neighbour.agentId } });
    const asPlanner = (path: string, options: TlsCallOptions = {}) => tls(path, { ...options, cert: planner.cert });
    const plan = (id: string, body: unknown) => asPlanner(`/v1/agent/suggestions/${id}/plan`, { method: 'POST', body });
    const planBody = (overrides: Record<string, unknown> = {}) => ({
      ...planDigests(),
      bump: 'minor',
      manifest: manifestFor('structure'),
      lint: [{ rule: 'locking/create-index', severity: 'warning' }],
      title: 'Index pl1.customer_id',
      ...overrides,
    });
    const accepted = async () =>
      ((await asPlanner('/v1/agent/suggestions/accepted')).body.suggestions as { id: string }[]).map((s) => s.id);

    const [p, n, x, t] = [suggestion('pl1'), suggestion('pl2'), suggestion('pl3'), suggestion('pl4')];
    await report(dba.token, mine, reportsOf('structure', p, n, x));
    await report(dba.token, theirs, reportsOf('structure', t));
    const [pId, nId, xId, tId] = [await idOf(p), await idOf(n), await idOf(x), await idOf(t)];
    await review(dba.token, pId, { decision: 'accept' });
    await review(dba.token, xId, { decision: 'reject', reason: 'a staging-only table' });
    await review(dba.token, tId, { decision: 'accept' });
    expect(await accepted()).toEqual([pId]);

    const first = planBody();
    const planned = await plan(pId, first);
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body).toMatchObject({
      id: pId,
      state: 'accepted',
      draft: { ...first, draftedAt: expect.any(String) },
    });
    expect(planned.body.changeId).toBeUndefined();
    const shown = await cp.ok('GET', `/v1/suggestions/${pId}`, { token: viewer });
    expect(shown.draft).toEqual({ ...first, draftedAt: planned.body.draft.draftedAt });
    expect((await list(`?targetId=${mine.targetId}&state=accepted`)).map((r) => r.id)).toEqual([pId]);
    expect((await list(`?targetId=${mine.targetId}&state=accepted`))[0]).toMatchObject({ draft: first });
    // Planned: no longer the agent's work, though still accepted.
    expect(await accepted()).toEqual([]);
    // The agent drafts again: the newer plan replaces the first.
    const second = planBody({ bump: 'patch', title: 'Index pl1.customer_id (re-planned)' });
    expect((await plan(pId, second)).status).toBe(200);
    expect((await cp.ok('GET', `/v1/suggestions/${pId}`, { token: viewer })).draft).toMatchObject(second);

    const fromNew = await plan(nId, planBody());
    expect([fromNew.status, fromNew.body.error.code]).toEqual([409, 'ISOTYP_INVALID_STATE']);
    const fromRejected = await plan(xId, planBody());
    expect([fromRejected.status, fromRejected.body.error.code]).toEqual([409, 'ISOTYP_INVALID_STATE']);
    const neighbours = await plan(tId, planBody());
    expect([neighbours.status, neighbours.body.error.code]).toEqual([404, 'ISOTYP_NOT_FOUND']);
    expect((await cp.ok('GET', `/v1/suggestions/${tId}`, { token: viewer })).draft).toBeUndefined();
    const ddl = await plan(
      pId,
      planBody({ manifest: { ...manifestFor('structure'), ddl: ['CREATE INDEX i ON t (c)'] } }),
    );
    expect([ddl.status, ddl.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    expect(ddl.body.error.message).toContain('DDL');
    const loose = await plan(pId, { ...planBody(), submission: {} });
    expect([loose.status, loose.body.error.code]).toEqual([400, 'ISOTYP_INVALID_INPUT']);
    for (const token of [admin, dba.token]) {
      const person = await cp.call('POST', `/v1/agent/suggestions/${pId}/plan`, { token, body: planBody() });
      expect([person.status, person.body.error.code]).toEqual([403, 'ISOTYP_FORBIDDEN']);
    }

    // Once the target reports its schema, a plan must start from it.
    const live = planDigests().fromDigest;
    await cp.server.store.targets.recordVersion({
      orgId: 'acme',
      targetId: mine.targetId,
      version: '0.1.0',
      digest: live,
      createdAt: new Date().toISOString(),
    });
    const stale = await plan(pId, planBody());
    expect([stale.status, stale.body.error.code]).toEqual([409, 'ISOTYP_CONFLICT']);
    const current = planBody({ fromDigest: live });
    expect((await plan(pId, current)).status).toBe(200);
    // Refused plans left the last accepted one in place.
    expect((await cp.ok('GET', `/v1/suggestions/${pId}`, { token: viewer })).draft).toMatchObject(current);

    // A person submits it as a change; from then on the plan is settled.
    const change = await cp.ok('POST', '/v1/changes', {
      token: dba.token,
      body: submissionBody(dba, mine, { fromDigest: live }),
    });
    const drafted = await asPlanner(`/v1/suggestions/${pId}/drafted`, {
      method: 'POST',
      body: { changeId: change.id },
    });
    expect(drafted.body).toMatchObject({ changeId: change.id, draft: current });
    const late = await plan(pId, planBody({ fromDigest: live }));
    expect([late.status, late.body.error.code]).toEqual([409, 'ISOTYP_CONFLICT']);
    expect((await cp.ok('GET', `/v1/suggestions/${pId}`, { token: viewer })).draft).toMatchObject(current);

    const audit = await cp.server.store.audit.byEntity('acme', 'suggestion', pId);
    expect(audit.map((e) => [e.action, JSON.parse(e.entry).actor])).toEqual([
      ['suggestion.accept', `user:${dba.userId}`],
      ['suggestion.planned', `agent:${planner.agentId}`],
      ['suggestion.planned', `agent:${planner.agentId}`],
      ['suggestion.planned', `agent:${planner.agentId}`],
      ['suggestion.drafted', `agent:${planner.agentId}`],
    ]);
  });

  it('describes every suggestion route in /v1/openapi.json', async () => {
    const { paths } = await cp.ok('GET', '/v1/openapi.json');
    expect(paths['/v1/targets/{targetId}/suggestions'].post.security).toEqual([{ bearerAuth: [] }]);
    for (const path of [
      '/v1/suggestions',
      '/v1/suggestions/{id}',
      '/v1/suggestions/{id}/review',
      '/v1/suggestions/{id}/drafted',
      '/v1/agent/suggestions/accepted',
      '/v1/agent/suggestions/{id}/plan',
    ]) {
      expect(paths[path], path).toBeDefined();
    }
    const plan = paths['/v1/agent/suggestions/{id}/plan'].post;
    expect(Object.keys(plan.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '409']));
    expect(plan.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['fromDigest', 'toDigest', 'planDigest', 'bump', 'manifest', 'lint', 'title']),
    );
  });
});
