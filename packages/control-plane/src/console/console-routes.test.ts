import { CHANGE_SUBMISSION_ENVELOPE_TYPE, changeManifestDigest, sealEnvelope } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalOf, manifestFor, planDigests, submissionBody, type TargetRef } from '../test-support/changes.js';
import {
  ADMIN_PASSWORD,
  type LiveControlPlane,
  liveControlPlane,
  type Person,
} from '../test-support/live-control-plane.js';
import { TestBrowser } from '../test-support/oidc-provider.js';

/*
 * The console over real HTTP on loopback, as a browser without JavaScript sees it: sessions,
 * CSRF and origin checks, security headers, privacy modes and who may sign. Signing in a real
 * browser is tests/e2e/console.test.ts.
 */
let cp: LiveControlPlane;
let admin: string;
let author: Person;
let reviewer: Person;
/** A viewer: reads, cannot register a key or approve. */
const watcher = { email: 'watcher@acme.test' };
let structure: TargetRef;
let full: TargetRef;

const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';

async function signedIn(email: string): Promise<{ browser: TestBrowser; csrf: string; html: string }> {
  const browser = new TestBrowser();
  const done = await browser.navigate(`${cp.url}/console/sign-in`, {
    method: 'POST',
    form: { org: 'acme', email, password: ADMIN_PASSWORD, return_to: '/console/approvals' },
  });
  expect(done.response.status).toBe(200);
  const html = await done.response.text();
  return { browser, csrf: csrfOf(html), html };
}

async function post(browser: TestBrowser, path: string, body: unknown, headers: Record<string, string> = {}) {
  const url = new URL(path, cp.url);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: browser.cookieHeader(url), ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  cp = await liveControlPlane();
  admin = await cp.login('admin@acme.test');
  author = await cp.person(admin, 'author@acme.test', ['dba']);
  reviewer = await cp.person(admin, 'reviewer@acme.test', ['approver']);
  await cp.ok('POST', '/v1/users', {
    token: admin,
    body: {
      email: watcher.email,
      displayName: 'watcher',
      password: ADMIN_PASSWORD,
      grants: [{ role: 'viewer', scope: { kind: 'org' } }],
    },
  });
  await cp.initTrust(
    admin,
    [
      { person: author, roles: ['dba'] },
      { person: reviewer, roles: ['approver'] },
    ],
    [{ name: 'review', required: 1, role: 'approver' }],
  );
  structure = await cp.target(admin, { privacyMode: 'structure', name: 'orders-db' });
  const project = structure.projectId;
  const env = await cp.ok('POST', `/v1/projects/${project}/environments`, {
    token: admin,
    body: { name: 'lab', privacyMode: 'full' },
  });
  const target = await cp.ok('POST', '/v1/targets', {
    token: admin,
    body: { environmentId: env.id, name: 'lab-db', dialect: 'sqlite' },
  });
  full = { projectId: project, environmentId: env.id, targetId: target.id };
}, 60_000);

afterAll(async () => {
  await cp?.close();
});

describe('console sessions', () => {
  it('sends a visitor without a session to sign in, and back where they were going afterwards', async () => {
    const browser = new TestBrowser();
    const first = await browser.request(`${cp.url}/console/changes?state=applied`);
    expect(first.status).toBe(303);
    const location = new URL(first.headers.get('location') ?? '', cp.url);
    expect(location.pathname).toBe('/console/sign-in');
    expect(location.searchParams.get('return_to')).toBe('/console/changes?state=applied');

    const page = await browser.request(location);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<label>Organisation');
    expect(html).toContain('autocomplete="current-password"');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-store');

    const done = await browser.navigate(`${cp.url}/console/sign-in`, {
      method: 'POST',
      form: {
        org: 'acme',
        email: reviewer.email,
        password: ADMIN_PASSWORD,
        return_to: '/console/changes?state=applied',
      },
    });
    expect(done.url.pathname + done.url.search).toBe('/console/changes?state=applied');
    expect(done.response.status).toBe(200);
  });

  it('keeps the session in HttpOnly, SameSite=Strict cookies scoped to /console', async () => {
    const response = await fetch(`${cp.url}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ org: 'acme', email: reviewer.email, password: ADMIN_PASSWORD }).toString(),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const cookies = response.headers.getSetCookie();
    expect(cookies.map((c) => c.split('=')[0]).sort()).toEqual(['isotyp_access', 'isotyp_csrf', 'isotyp_refresh']);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Path=\/console/);
    }
  });

  it('answers a wrong password on the page, with the code and without echoing the password', async () => {
    const browser = new TestBrowser();
    const response = await browser.request(`${cp.url}/console/sign-in`, {
      method: 'POST',
      form: { org: 'acme', email: reviewer.email, password: 'wrong-password-123' },
    });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain('ISOTYP_CREDENTIALS_INVALID');
    expect(html).toContain('role="alert"');
    expect(html).not.toContain('wrong-password-123');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('refuses a sign-in form posted from another site', async () => {
    const response = await fetch(`${cp.url}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ org: 'acme', email: reviewer.email, password: ADMIN_PASSWORD }).toString(),
      redirect: 'manual',
    });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('ISOTYP_FORBIDDEN');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('renews an expired access cookie from the refresh cookie, and signing out ends the session on the server', async () => {
    const { browser, csrf } = await signedIn(reviewer.email);
    // The access cookie gone (as when it expires): the refresh cookie renews the session.
    const refreshCookie = /isotyp_refresh=([^;]+)/.exec(browser.cookieHeader(new URL(`${cp.url}/console/`)))?.[1];
    const jar = new TestBrowser();
    const renewed = await jar.request(`${cp.url}/console/agents`, {});
    expect(renewed.status).toBe(303);
    const withRefreshOnly = await fetch(`${cp.url}/console/agents`, {
      headers: { cookie: `isotyp_refresh=${refreshCookie}` },
      redirect: 'manual',
    });
    expect(withRefreshOnly.status).toBe(200);
    const setCookies = withRefreshOnly.headers.getSetCookie();
    expect(setCookies.some((c) => c.startsWith('isotyp_access='))).toBe(true);
    const newRefresh = /isotyp_refresh=([^;]+)/.exec(setCookies.join('\n'))?.[1] ?? '';
    expect(newRefresh).not.toBe(refreshCookie);

    const out = await fetch(`${cp.url}/console/sign-out`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `isotyp_refresh=${newRefresh}; isotyp_csrf=${/isotyp_csrf=([^;]+)/.exec(browser.cookieHeader(new URL(`${cp.url}/console/`)))?.[1]}`,
      },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/sign-in?signed_out=1');
    // The refresh token is revoked on the server, not just forgotten here.
    const reuse = await cp.call('POST', '/v1/auth/refresh', {
      body: { refreshToken: newRefresh },
      idempotencyKey: null,
    });
    expect(reuse.status).toBe(401);
  });

  it('serves its assets from this origin, versioned and cached for good', async () => {
    const { html } = await signedIn(reviewer.email);
    const css = /href="(\/console\/assets\/console\.css\?v=[0-9a-f]{16})"/.exec(html)?.[1];
    const js = /src="(\/console\/assets\/console\.js\?v=[0-9a-f]{16})"/.exec(html)?.[1];
    expect(css).toBeDefined();
    expect(js).toBeDefined();
    const script = await fetch(`${cp.url}${js}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await script.text()).length).toBeGreaterThan(10_000);
  });

  it('answers an unknown console page with a 404 page, not JSON', async () => {
    const response = await fetch(`${cp.url}/console/nowhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('Page not found');
  });
});

describe('console pages and approvals', () => {
  let structureChange: { id: string; targetId: string; planDigest: string; policyVersion: number };
  let fullChange: { id: string; targetId: string; planDigest: string; policyVersion: number };

  beforeAll(async () => {
    structureChange = await cp.ok('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, structure, { mode: 'structure' }),
    });
    fullChange = await cp.ok('POST', '/v1/changes', {
      token: author.token,
      body: submissionBody(author, full, { mode: 'full', dataLoss: true }),
    });
  });

  it('lists waiting changes in the inbox with their risk, and shows DDL only in full mode', async () => {
    const { browser, html } = await signedIn(reviewer.email);
    expect(html).toContain('Waiting for review (2)');
    expect(html).toContain('tone-danger');
    expect(html).toContain('shop / lab');

    const structured = await (await browser.request(`${cp.url}/console/changes/${structureChange.id}`)).text();
    expect(structured).toContain('Album.Year');
    expect(structured).not.toContain('ALTER TABLE');
    expect(structured).toContain(structureChange.planDigest);

    const fullPage = await (await browser.request(`${cp.url}/console/changes/${fullChange.id}`)).text();
    expect(fullPage).toContain('ALTER TABLE &quot;Album&quot; ADD COLUMN &quot;Year&quot; INTEGER');
    expect(fullPage).toContain('data-approval');
    expect(fullPage).toContain('author'); // submitted by (display name)
  });

  it('refuses an approval posted without the CSRF token, and records one posted with it', async () => {
    const { browser, csrf } = await signedIn(reviewer.email);
    const envelope = approvalOf(reviewer, structureChange, 'review');
    const path = `/console/changes/${structureChange.id}/approvals`;
    const forged = await post(browser, path, { envelope });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('ISOTYP_FORBIDDEN');
    const crossSite = await post(browser, path, { envelope }, { 'x-csrf-token': csrf, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await cp.ok('GET', `/v1/changes/${structureChange.id}`, { token: admin })).state).toBe('submitted');

    const signed = await post(browser, path, { envelope }, { 'x-csrf-token': csrf });
    expect(signed.status).toBe(201);
    expect(signed.body.state).toBe('approved');
    const page = await (await browser.request(`${cp.url}/console/changes/${structureChange.id}`)).text();
    expect(page).toContain('Approved by');
    expect(page).toContain('<strong>you</strong>');
  });

  it('gives a viewer no approval form, and the API behind refuses them anyway', async () => {
    const { browser, csrf } = await signedIn(watcher.email);
    const page = await (await browser.request(`${cp.url}/console/changes/${fullChange.id}`)).text();
    expect(page).not.toContain('data-approval');
    expect(page).toContain('Your role does not let you approve changes');
    const attempt = await post(
      browser,
      `/console/changes/${fullChange.id}/approvals`,
      { envelope: approvalOf(reviewer, fullChange, 'review') },
      { 'x-csrf-token': csrf },
    );
    expect(attempt.status).toBe(403);
    expect(attempt.body.error.code).toBe('ISOTYP_FORBIDDEN');
  });

  it('tells the author they cannot sign their own change', async () => {
    const { browser } = await signedIn(author.email);
    const page = await (await browser.request(`${cp.url}/console/changes/${fullChange.id}`)).text();
    expect(page).not.toContain('data-approval');
    expect(page).toContain('You wrote this change');
  });

  it('shows the audit history of a change and the log checkpoint, and a viewer without audit rights a notice', async () => {
    const { browser } = await signedIn('admin@acme.test');
    const audit = await (
      await browser.request(`${cp.url}/console/audit?entity=${encodeURIComponent(`change:${structureChange.id}`)}`)
    ).text();
    expect(audit).toContain('change.submit');
    expect(audit).toContain('change.approve');
    expect(audit).toContain('Root hash');
    const viewer = await signedIn(watcher.email);
    const denied = await viewer.browser.request(
      `${cp.url}/console/audit?entity=${encodeURIComponent(`change:${structureChange.id}`)}`,
    );
    expect(denied.status).toBe(200);
    expect(await denied.text()).toContain('ISOTYP_FORBIDDEN');
  });

  it('answers a change of another organisation or a made-up id with a 404 page', async () => {
    const { browser } = await signedIn(reviewer.email);
    const response = await browser.request(`${cp.url}/console/changes/chg_doesnotexist`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('ISOTYP_NOT_FOUND');
  });

  it('shows targets with their version history, and the empty agents page says how to enrol one', async () => {
    const { browser } = await signedIn(reviewer.email);
    const targets = await (await browser.request(`${cp.url}/console/targets`)).text();
    expect(targets).toContain('orders-db');
    expect(targets).toContain('lab-db');
    const history = await (await browser.request(`${cp.url}/console/targets/${structure.targetId}`)).text();
    expect(history).toContain('Schema version history');
    const agents = await browser.request(`${cp.url}/console/agents`);
    expect(agents.status).toBe(200);
    expect(await agents.text()).toContain('isotyp agents token');
  });
});

/** An advisor's report of one fk-without-index suggestion on orders; `tag` makes its digest. */
const reportOf = (tag: string) => ({
  digest: `sha256:${tag.repeat(32)}`,
  kind: 'fk-without-index',
  source: 'rule',
  objects: [{ kind: 'table', namespace: 'public', name: 'orders' }],
  impact: 'high',
  confidence: 0.9,
  risk: 'safe',
  score: 90,
  editCount: 1,
});

describe('console suggestions queue', () => {
  const report = reportOf('ab');

  beforeAll(async () => {
    await cp.ok('POST', `/v1/targets/${structure.targetId}/suggestions`, {
      token: author.token,
      body: { suggestions: [report] },
    });
  });

  it('lists what the advisor reported, best first, and records a review made with a plain form', async () => {
    const { browser, csrf } = await signedIn(author.email);
    const page = await (await browser.request(`${cp.url}/console/suggestions`)).text();
    expect(page).toContain('fk-without-index');
    expect(page).toContain('orders-db');
    const id = /\/console\/suggestions\/([^/]+)\/review/.exec(page)?.[1] ?? '';
    expect(id).not.toBe('');
    const url = new URL(`/console/suggestions/${id}/review`, cp.url);
    const post = (form: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader(url) },
        body: new URLSearchParams(form).toString(),
        redirect: 'manual',
      });
    const forged = await post({ decision: 'accept' });
    expect(forged.status).toBe(403);
    expect((await cp.ok('GET', `/v1/suggestions/${id}`, { token: admin })).state).toBe('new');
    const noReason = await post({ decision: 'reject', _csrf: csrf });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('The review was not recorded.');
    const accepted = await post({ decision: 'accept', _csrf: csrf });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/console/suggestions?reviewed=accepted');
    expect((await cp.ok('GET', `/v1/suggestions/${id}`, { token: admin })).state).toBe('accepted');
    const queue = await (await browser.request(`${cp.url}/console/suggestions?state=accepted`)).text();
    expect(queue).toContain(`isotyp suggestions draft ${id}`);
  });

  it('shows a viewer the queue without review forms', async () => {
    const { browser } = await signedIn(watcher.email);
    const page = await (await browser.request(`${cp.url}/console/suggestions?state=accepted`)).text();
    expect(page).toContain('fk-without-index');
    expect(page).not.toContain('/review"');
  });
});

describe('console: signing the plan an agent drafted from a suggestion', () => {
  it('offers the drafted plan for signing, and submits a change signed in the browser', async () => {
    const digests = planDigests();
    const manifest = manifestFor('structure');
    const report = reportOf('cd');
    await cp.ok('POST', `/v1/targets/${structure.targetId}/suggestions`, {
      token: author.token,
      body: { suggestions: [report] },
    });
    const { suggestions } = await cp.ok('GET', '/v1/suggestions?state=new', { token: admin });
    const id = suggestions.find((s: { digest: string }) => s.digest === report.digest).id as string;
    await cp.ok('POST', `/v1/suggestions/${id}/review`, { token: author.token, body: { decision: 'accept' } });
    // The agent's part (tested with its own route in routes/suggestions.test.ts): a plan attached.
    const target = await cp.ok('GET', `/v1/targets/${structure.targetId}`, { token: admin });
    const fromDigest = target.digest ?? digests.fromDigest;
    const draft = {
      ...digests,
      fromDigest,
      bump: 'minor',
      title: 'Advisor: fk-without-index on orders',
      manifest,
      lint: [],
    };
    await cp.server.store.suggestions.attachDraft('acme', id, draft, new Date().toISOString());

    const { browser, csrf } = await signedIn(author.email);
    const page = await (await browser.request(`${cp.url}/console/suggestions?state=accepted`)).text();
    expect(page).toContain('data-submit-draft');
    expect(page).toContain(`data-suggestion-id="${id}"`);

    const payload = {
      project: structure.projectId,
      environment: structure.environmentId,
      target: structure.targetId,
      fromDigest,
      toDigest: digests.toDigest,
      planDigest: digests.planDigest,
      manifestDigest: changeManifestDigest(manifest, []),
      bump: 'minor',
      title: draft.title,
    };
    const submission = sealEnvelope({
      type: CHANGE_SUBMISSION_ENVELOPE_TYPE,
      payload,
      secretKey: author.key.secretKey,
    });
    const path = `/console/suggestions/${id}/submit`;
    const forged = await post(browser, path, { submission, manifest, lint: [] });
    expect(forged.status).toBe(403);
    const submitted = await post(browser, path, { submission, manifest, lint: [] }, { 'x-csrf-token': csrf });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ state: 'submitted', title: draft.title, authorUserId: author.userId });
    expect((await cp.ok('GET', `/v1/suggestions/${id}`, { token: admin })).changeId).toBe(submitted.body.id);
    // A second submission of the same suggestion is refused: it has its change.
    const again = await post(
      browser,
      path,
      {
        submission: sealEnvelope({ type: CHANGE_SUBMISSION_ENVELOPE_TYPE, payload, secretKey: author.key.secretKey }),
        manifest,
        lint: [],
      },
      { 'x-csrf-token': csrf },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ISOTYP_CONFLICT');
    // …and no second change was made.
    const { changes } = await cp.ok('GET', `/v1/changes?targetId=${structure.targetId}&limit=200`, { token: admin });
    expect(changes.filter((c: { title: string }) => c.title === draft.title)).toHaveLength(1);
  });
});
