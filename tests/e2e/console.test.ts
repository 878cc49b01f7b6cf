import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildManifest, wireLint } from '@isotyp/agent';
import Database from 'better-sqlite3';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../packages/cli/src/services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../packages/cli/src/services/control-plane/test-support/run-cli-async.js';

/*
 * The web console in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real control plane on loopback, with the real CLI around it:
 *
 *   Ana (admin) writes a change with `isotyp plan` and `isotyp submit`.
 *   Ben (approver) imports the key file `isotyp keys generate` made him into the browser.
 *   Carl (dba) creates his key in the browser; it never leaves it.
 *   Vera (viewer) may read but not approve.
 *
 * Ben and Carl sign the policy's two layers in their browsers; a signature altered on its way
 * is refused; a CI job applies the change with `isotyp apply --change`, and the console shows
 * it applied. A failing test leaves a screenshot in .artifacts/e2e/.
 */
const CHROMIUM = process.env.ISOTYP_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../.artifacts/e2e/', import.meta.url));
const people = {
  ana: { email: 'ana@acme.test', roles: ['admin'] },
  ben: { email: 'ben@acme.test', roles: ['approver'] },
  carl: { email: 'carl@acme.test', roles: ['dba'] },
  vera: { email: 'vera@acme.test', roles: ['viewer'] },
} as const;
type Who = keyof typeof people;
const password = (who: Who) => `${who}-console-passphrase-1`;
const keyPassphrase = (who: Who) => `${who} signs with care`;

let cp: LiveControlPlane;
let browser: Browser;
const homes = Object.fromEntries(Object.keys(people).map((who) => [who, scratchHome()])) as Record<Who, string>;
const contexts: Partial<Record<Who, BrowserContext>> = {};
const pages: Partial<Record<Who, Page>> = {};
let changeId = '';
const db = () => join(homes.ana, 'orders.db');
const schema = () => join(homes.ana, 'schema.sql');

async function cli(who: Who, args: string[], input = '') {
  const result = await runCliAsync(args, { home: homes[who], input, env: { ISOTYP_SERVER: cp.url } });
  expect(result.status, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Each person's own browser profile: cookies and localStorage are theirs alone. */
async function pageOf(who: Who): Promise<Page> {
  const existing = pages[who];
  if (existing !== undefined) return existing;
  const context = await browser.newContext({ baseURL: cp.url, viewport: { width: 1280, height: 900 } });
  contexts[who] = context;
  const page = await context.newPage();
  pages[who] = page;
  return page;
}

/** On failure (or always, with ISOTYP_E2E_SCREENSHOTS=1), what each open browser showed. */
function screenshotsOnFailure(name: string): void {
  const shoot = async () => {
    mkdirSync(SHOTS, { recursive: true });
    for (const [who, page] of Object.entries(pages)) {
      await page?.screenshot({ path: join(SHOTS, `${name}-${who}.png`), fullPage: true }).catch(() => undefined);
    }
  };
  if (process.env.ISOTYP_E2E_SCREENSHOTS === '1') onTestFinished(shoot);
  else onTestFailed(shoot);
}

async function signIn(who: Who): Promise<Page> {
  const page = await pageOf(who);
  await page.goto('/console/');
  await expect.poll(() => page.url()).toContain('/console/sign-in');
  await page.getByLabel('Organisation').fill('acme');
  await page.getByLabel('Email').fill(people[who].email);
  await page.getByLabel('Password').fill(password(who));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/console/approvals');
  return page;
}

/** Ana writes `sql` as the desired schema, plans it against the orders database and submits it. */
// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON answer.
async function submitSchema(sql: string, title: string): Promise<any> {
  writeFileSync(schema(), sql);
  const plan = join(homes.ana, `plan-${title.replaceAll(' ', '-')}.json`);
  await cli('ana', ['plan', '-t', `sqlite:${db()}`, '--schema', schema(), '--out', plan]);
  const args = ['submit', '--plan', plan, '--env', 'prod', '--project', 'shop', '--target', 'orders'];
  return JSON.parse(await cli('ana', [...args, '--title', title, '--json']));
}

async function stateOf(id: string): Promise<string> {
  return (await cp.store.changes.get('acme', id))?.state ?? 'missing';
}

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin: { email: people.ana.email, password: password('ana') } });
  const admin = await cp.login(people.ana.email, password('ana'));
  for (const who of ['ben', 'carl', 'vera'] as const) {
    await cp.createUser(admin, {
      email: people[who].email,
      password: password(who),
      grants: people[who].roles.map((role) => ({ role, scope: { kind: 'org' as const } })),
    });
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cp?.close();
});

describe('the web console in Chromium', () => {
  it('signs in with a password and shows an empty inbox that says what to do next', async () => {
    screenshotsOnFailure('sign-in');
    const page = await signIn('ben');
    await expect.poll(() => page.getByRole('heading', { name: /Waiting for review/ }).textContent()).toContain('(0)');
    expect(await page.getByText('Nothing waits for a signature.').isVisible()).toBe(true);
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Signing key' }).count()).toBe(1);
  });

  it('keeps each approver key in the browser, encrypted: Ben imports his key file, Carl creates one', async () => {
    screenshotsOnFailure('keys');
    // Ben's key was made by the CLI on his machine (and registered there); he imports the file.
    await cli('ben', ['login', '--org', 'acme', '--email', people.ben.email, '--password-stdin'], password('ben'));
    await cli('ben', ['keys', 'generate']);
    const keyFile = join(homes.ben, '.isotyp', 'keys', 'approver.key');
    const benKey = JSON.parse(readFileSync(keyFile, 'utf8')) as { keyId: string; seed: string };
    const ben = await pageOf('ben');
    await ben.getByRole('navigation').getByRole('link', { name: 'Signing key' }).click();
    await ben.waitForURL('**/console/keys');
    await ben.getByLabel(/^Key file/).setInputFiles(keyFile);
    await ben
      .locator('form[data-key-import]')
      .getByLabel(/Passphrase to keep it under/)
      .fill(keyPassphrase('ben'));
    await ben.getByRole('button', { name: 'Import' }).click();
    await expect
      .poll(() => ben.locator('[data-key-message]').textContent())
      .toContain(`registered key ${benKey.keyId}`);
    // What the browser keeps is encrypted: the seed is nowhere in it.
    const kept = await ben.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(kept).toContain(benKey.keyId);
    expect(kept).not.toContain(benKey.seed);

    // Carl makes his key in the browser; the control plane learns only the public half.
    const carl = await signIn('carl');
    await carl.goto('/console/keys');
    const generate = carl.locator('form[data-key-generate]');
    await generate.getByLabel(/^Passphrase/).fill(keyPassphrase('carl'));
    await generate.getByLabel('Repeat the passphrase').fill(keyPassphrase('carl'));
    await generate.getByRole('button', { name: 'Create and register' }).click();
    await expect.poll(() => carl.locator('[data-key-message]').textContent()).toContain('Created and registered key');
    const admin = await cp.login(people.ana.email, password('ana'));
    const { keys } = await cp.ok('GET', '/v1/keys', { token: admin });
    const carlId = (await cp.ok('GET', '/v1/people', { token: admin })).people.find(
      (p: { email: string }) => p.email === people.carl.email,
    ).id;
    const carlKey = keys.find((k: { userId: string }) => k.userId === carlId);
    expect(carlKey.keyId).toMatch(/^ed25519:/);
    const carlStored = await carl.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(carlStored).toContain(carlKey.keyId);
    expect(carlStored).toContain('ciphertext');
  });

  it('a change written with the CLI reaches the inbox with its risk, digests and DDL (full mode)', async () => {
    screenshotsOnFailure('inbox');
    await cli('ana', ['login', '--org', 'acme', '--email', people.ana.email, '--password-stdin'], password('ana'));
    await cli('ana', ['keys', 'generate']);
    // The keyring now names Ana, Ben and Carl's registered keys with their org roles.
    await cli('ana', ['org', 'init']);
    await cli('ana', ['projects', 'create', 'shop']);
    await cli('ana', ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'full']);
    await cli('ana', ['targets', 'create', 'orders', '--env', 'prod', '--project', 'shop', '--dialect', 'sqlite']);
    const conn = new Database(db());
    conn.exec(
      "CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT, secret_salary INTEGER); INSERT INTO staff_member VALUES (1, 'a', 5);",
    );
    conn.close();
    const submitted = await submitSchema(
      'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT);\nCREATE TABLE payroll_ledger (id INTEGER PRIMARY KEY);\n',
      'Drop salary column',
    );
    changeId = submitted.id;

    const ben = await pageOf('ben');
    await ben.goto('/console/approvals');
    await ben.getByRole('link', { name: 'Drop salary column' }).click();
    await ben.waitForURL(`**/console/changes/${changeId}`);
    expect(await ben.getByRole('heading', { level: 1 }).textContent()).toBe('Drop salary column');
    expect(await ben.getByText('Risk: destructive').count()).toBe(1);
    expect(await ben.getByLabel('DDL statements').textContent()).toContain('DROP');
    expect(await ben.getByText(submitted.planDigest).count()).toBe(1);
    // Two layers apply: a reviewer, and a DBA because data is lost.
    expect(await ben.getByRole('heading', { name: /Layer “review”/ }).count()).toBe(1);
    expect(await ben.getByRole('heading', { name: /Layer “dba”/ }).count()).toBe(1);
  });

  it('a viewer sees the review but no way to approve, and the server refuses a forced attempt', async () => {
    screenshotsOnFailure('viewer');
    const vera = await signIn('vera');
    await vera.goto(`/console/changes/${changeId}`);
    expect(await vera.locator('form[data-approval]').count()).toBe(0);
    expect(await vera.getByText('Your role does not let you approve changes').count()).toBeGreaterThan(0);
    // Even with the page's own CSRF token, the API behind the console says no.
    const forced = await vera.evaluate(async (id) => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
      const response = await fetch(`/console/changes/${id}/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ envelope: { type: 'isotyp.approval', payload: {} } }),
      });
      return { status: response.status, body: await response.json() };
    }, changeId);
    expect(forced.status).toBe(403);
    expect(forced.body.error.code).toBe('ISOTYP_FORBIDDEN');
    expect(await stateOf(changeId)).toBe('submitted');
  });

  it('Ben signs the review layer in his browser', async () => {
    screenshotsOnFailure('approve-review');
    const ben = await pageOf('ben');
    await ben.goto(`/console/changes/${changeId}`);
    const review = ben.locator('form[data-approval][data-layer="review"]');
    // The dba layer is not his to sign: the page says why instead of offering a form.
    expect(await ben.locator('form[data-approval][data-layer="dba"]').count()).toBe(0);
    expect(await ben.getByText('This layer needs a signer with the dba role').count()).toBe(1);
    await review.getByLabel('Key passphrase').fill(keyPassphrase('ben'));
    await review.getByRole('button', { name: 'Approve layer review' }).click();
    await expect
      .poll(() => ben.locator('.signers').first().textContent(), { timeout: 15_000 })
      .toContain('Approved by you');
    expect(await stateOf(changeId)).toBe('in_review');
  });

  it('refuses a signature altered on its way, and says so on the page', async () => {
    screenshotsOnFailure('tampered');
    const carl = await pageOf('carl');
    await carl.goto(`/console/changes/${changeId}`);
    // A proxy between browser and control plane changes one byte of the signature.
    await carl.route('**/console/changes/*/approvals', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      const signature: string = body.envelope.sig;
      body.envelope.sig = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
      await route.continue({ postData: JSON.stringify(body) });
    });
    const dba = carl.locator('form[data-approval][data-layer="dba"]');
    await dba.getByLabel('Key passphrase').fill(keyPassphrase('carl'));
    await dba.getByRole('button', { name: 'Approve layer dba' }).click();
    const alert = carl.locator('[data-sign-status] [role="alert"]');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('refused the signature');
    expect(await alert.textContent()).toMatch(/ISOTYP_SIGNATURE_INVALID|ISOTYP_APPROVAL_INVALID/);
    expect(await stateOf(changeId)).toBe('in_review');
    await carl.unroute('**/console/changes/*/approvals');

    // A wrong passphrase never gets as far as the network.
    await dba.getByLabel('Key passphrase').fill('not my passphrase at all');
    await dba.getByRole('button', { name: 'Approve layer dba' }).click();
    await expect.poll(() => alert.textContent()).toContain('ISOTYP_PASSPHRASE_WRONG');
  });

  it('Carl signs the dba layer, a CI job applies the change, and the console shows it applied', async () => {
    screenshotsOnFailure('apply');
    const carl = await pageOf('carl');
    await carl.goto(`/console/changes/${changeId}`);
    const dba = carl.locator('form[data-approval][data-layer="dba"]');
    await dba.getByLabel('Key passphrase').fill(keyPassphrase('carl'));
    await dba.getByRole('button', { name: 'Approve layer dba' }).click();
    await expect.poll(() => carl.getByText('State: approved').count(), { timeout: 15_000 }).toBe(1);
    expect(await stateOf(changeId)).toBe('approved');

    // The agent side: a CI job with an apply-only token verifies every signature and applies.
    const token = JSON.parse(
      await cli('ana', [
        'tokens',
        'create',
        '--name',
        'deploy',
        '--env',
        'prod',
        '--project',
        'shop',
        '--actions',
        'apply',
        '--json',
      ]),
    ).token as string;
    const targetId = JSON.parse(
      await cli('ana', ['targets', 'list', '--project', 'shop', '--env', 'prod', '--json']),
    )[0].id;
    const rootKeyId = JSON.parse(readFileSync(join(homes.ana, '.isotyp', 'keys', 'org-root.key'), 'utf8')).keyId;
    const applied = await runCliAsync(
      [
        'apply',
        '--change',
        changeId,
        '--target',
        `sqlite:${db()}`,
        '--schema',
        schema(),
        '--target-id',
        targetId,
        '--env',
        'prod',
        '--org-root',
        rootKeyId,
        '--ci',
        '--json',
      ],
      { home: scratchHome(), env: { ISOTYP_SERVER: cp.url, ISOTYP_TOKEN: token } },
    );
    expect(applied.status, applied.stdout + applied.stderr).toBe(0);

    const ben = await pageOf('ben');
    await ben.goto(`/console/changes/${changeId}`);
    expect(await ben.getByText('State: applied').count()).toBe(1);
    await ben.goto('/console/approvals');
    expect(await ben.getByRole('heading', { name: /Waiting for review/ }).textContent()).toContain('(0)');
    expect(await ben.locator('section', { hasText: 'Recently decided' }).getByText('Drop salary column').count()).toBe(
      1,
    );
    // The target's history records the new schema version, linked to the change.
    await ben.goto(`/console/targets/${targetId}`);
    expect(await ben.getByRole('link', { name: changeId }).count()).toBe(1);
    // The audit explorer tells the change's story to an admin (approvers hold no audit:read).
    const ana = await signIn('ana');
    await ana.goto(`/console/audit?entity=change:${changeId}`);
    const story = await ana.locator('main table').last().textContent();
    for (const action of ['change.submit', 'change.approve', 'change.applied']) expect(story).toContain(action);
  }, 90_000);

  it('Ben rejects the next change in his browser, with the reason signed beside his decision', async () => {
    screenshotsOnFailure('reject');
    const next = await submitSchema(
      'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT);\nCREATE TABLE payroll_ledger (id INTEGER PRIMARY KEY);\nCREATE TABLE bonus (id INTEGER PRIMARY KEY);\n',
      'Add bonus table',
    );
    const ben = await pageOf('ben');
    await ben.goto(`/console/changes/${next.id}`);
    const review = ben.locator('form[data-approval][data-layer="review"]');
    await review.getByLabel('Key passphrase').fill(keyPassphrase('ben'));
    // A rejection without its reason is not signed at all.
    await review.getByRole('button', { name: 'Reject layer review' }).click();
    await expect.poll(() => ben.locator('[data-sign-status]').textContent()).toContain('Say why you reject');
    expect(await stateOf(next.id)).toBe('submitted');
    await review.getByLabel(/^Reason/).fill('Bonuses live in the payroll system, not here.');
    await review.getByRole('button', { name: 'Reject layer review' }).click();
    await expect.poll(() => ben.getByText('State: rejected').count(), { timeout: 15_000 }).toBe(1);
    expect(await stateOf(next.id)).toBe('rejected');
    expect(await ben.locator('.signers').first().textContent()).toContain('Bonuses live in the payroll system');
  });

  it('Ana accepts an advisor suggestion in the console and signs the plan its agent drafted, in her browser', async () => {
    screenshotsOnFailure('suggestion');
    // Rows arrive (data, not schema: the target's digest stays what the CI job applied); every
    // nickname is filled, though the column may be NULL.
    const conn = new Database(db());
    const insert = conn.prepare('INSERT INTO staff_member (nickname) VALUES (?)');
    for (let i = 0; i < 150; i++) insert.run(`staff-${i}`);
    conn.close();
    const desired =
      'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT);\nCREATE TABLE payroll_ledger (id INTEGER PRIMARY KEY);\n';
    writeFileSync(schema(), desired);
    // At the site: what the advisor finds (reading the data, as asked) is reported for review.
    const advice = JSON.parse(
      await cli('ana', [
        'suggest',
        '-t',
        `sqlite:${db()}`,
        '--read-data',
        '--report',
        '--env',
        'prod',
        '--project',
        'shop',
        '--json',
      ]),
    );
    expect(advice.reported).toMatchObject({ created: 1 });
    const ana = await pageOf('ana');
    // Her key (made by isotyp keys generate) goes into her browser.
    await ana.goto('/console/keys');
    await ana.getByLabel(/^Key file/).setInputFiles(join(homes.ana, '.isotyp', 'keys', 'approver.key'));
    await ana
      .locator('form[data-key-import]')
      .getByLabel(/Passphrase to keep it under/)
      .fill(keyPassphrase('ana'));
    await ana.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => ana.locator('[data-key-message]').textContent()).toContain('registered key');

    await ana.getByRole('navigation').getByRole('link', { name: 'Suggestions' }).click();
    await ana.waitForURL('**/console/suggestions');
    const row = ana.locator('tr', { hasText: 'nullable-without-nulls' }).first();
    await row.getByRole('button', { name: 'Accept nullable-without-nulls' }).click();
    await ana.waitForURL('**/console/suggestions?reviewed=accepted');
    const [suggestion] = await cp.store.suggestions.list('acme', {
      now: new Date().toISOString(),
      limit: 10,
      states: ['accepted'],
    });
    if (suggestion === undefined) throw new Error('no accepted suggestion');

    // The agent's part (isotyp agent start does it; tested in commands/agent/advisor-daemon.test.ts):
    // the suggestion made a desired-state edit, planned, and the plan attached.
    writeFileSync(
      schema(),
      `${readFileSync(schema(), 'utf8')}CREATE INDEX staff_member_nickname_idx ON staff_member (nickname);\n`,
    );
    const planFile = join(homes.ana, 'suggested.plan.json');
    await cli('ana', ['plan', '-t', `sqlite:${db()}`, '--schema', schema(), '--out', planFile]);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    const { semver, lint, ...ops } = plan;
    const draft = {
      fromDigest: plan.fromDigest,
      toDigest: plan.toDigest,
      planDigest: plan.planDigest,
      bump: semver,
      title: 'Advisor: staff_member.nickname NOT NULL',
      manifest: buildManifest(ops, 'full'),
      lint: wireLint(lint, 'full'),
    };
    await cp.store.suggestions.attachDraft('acme', suggestion.id, draft, new Date().toISOString());

    await ana.goto('/console/suggestions?state=accepted');
    const form = ana.locator(`form[data-submit-draft][data-suggestion-id="${suggestion.id}"]`);
    await form.getByLabel('Key passphrase').fill(keyPassphrase('ana'));
    await form.getByRole('button', { name: /Sign and submit/ }).click();
    await ana.waitForURL('**/console/changes/chg_*');
    expect(await ana.getByRole('heading', { level: 1 }).textContent()).toBe('Advisor: staff_member.nickname NOT NULL');
    expect(await ana.getByText('State: submitted').count()).toBe(1);
    const changeId = ana.url().split('/').pop() ?? '';
    expect((await cp.store.suggestions.get('acme', suggestion.id))?.changeId).toBe(changeId);
    expect((await cp.store.changes.get('acme', changeId))?.planDigest).toBe(plan.planDigest);
  });

  it('is usable from the keyboard: a skip link, labelled controls, visible focus', async () => {
    screenshotsOnFailure('keyboard');
    const ben = await pageOf('ben');
    await ben.goto('/console/approvals');
    await ben.keyboard.press('Tab');
    expect(await ben.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const unlabelled = await ben.evaluate(
      () =>
        Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button')).filter((el) => {
          const id = el.getAttribute('aria-label') ?? el.closest('label')?.textContent ?? el.textContent;
          return (id ?? '').trim() === '';
        }).length,
    );
    expect(unlabelled).toBe(0);
    // No inline script or style runs: the policy forbids it, and the page needs none.
    const violations: string[] = [];
    ben.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await ben.goto(`/console/changes/${changeId}`);
    await ben.goto('/console/keys');
    expect(violations).toEqual([]);
  });
});
