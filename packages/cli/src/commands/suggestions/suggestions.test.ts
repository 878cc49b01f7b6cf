import { type Suggestion, suggestionDigest, suggestionReport, suggestionScore } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import type { CliResult } from '../../test-support/run-cli.js';

/*
 * isotyp suggestions list|accept|reject|snooze, run as the built binary against the real control
 * plane. Ben (dba) reviews what an advisor reported on two targets; Vic (viewer) may only look.
 */
const org = 'acme';
const password = 'suggestions-s3cret-passphrase';
const homes = { ben: scratchHome(), vic: scratchHome() };
type Who = keyof typeof homes;

let cp: LiveControlPlane;
let orders: string;
let vault: string;

function suggestion(table: string, impact: Suggestion['impact'] = 'high', edits = 1): Suggestion {
  const base = {
    kind: 'fk-without-index' as const,
    source: 'rule' as const,
    objects: [{ kind: 'table' as const, namespace: 'public', name: table }],
    rationale: 'A foreign key without an index behind it.',
    edits: Array.from({ length: edits }, () => ({
      op: 'set-not-null' as const,
      namespace: 'public',
      table,
      column: 'customer_id',
    })),
    impact,
    confidence: 0.9,
    risk: 'safe' as const,
  };
  return { ...base, score: suggestionScore(base) };
}
const found = {
  lines: suggestion('order_lines'),
  invoices: suggestion('invoices', 'medium'),
  notes: suggestion('notes', 'low'),
  secret: suggestion('ledger'),
};

const run = (who: Who, args: string[], input = ''): Promise<CliResult> =>
  runCliAsync(args, { home: homes[who], input, env: { ISOTYP_SERVER: cp.url } });

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
async function json(who: Who, args: string[]): Promise<any> {
  const result = await run(who, [...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status, result.stdout).toBe(0);
  return JSON.parse(result.stdout);
}

/** The id the control plane gave the suggestion `s`. */
async function idOf(s: Suggestion): Promise<string> {
  const { suggestions } = await json('ben', ['suggestions', 'list', '--limit', '200']);
  const row = suggestions.find((r: { digest: string }) => r.digest === suggestionDigest(s));
  if (row === undefined) throw new Error('not listed');
  return row.id;
}

beforeAll(async () => {
  cp = await startLiveControlPlane({ org, admin: { email: 'ana@acme.test', password } });
  const admin = await cp.login('ana@acme.test', password);
  const grants = (role: string) => [{ role, scope: { kind: 'org' as const } }];
  await cp.createUser(admin, { email: 'ben@acme.test', password, grants: grants('dba') });
  await cp.createUser(admin, { email: 'vic@acme.test', password, grants: grants('viewer') });
  const project = await cp.ok('POST', '/v1/projects', { token: admin, body: { name: 'shop' } });
  const target = async (env: string, privacyMode: string, name: string) => {
    const e = await cp.ok('POST', `/v1/projects/${project.id}/environments`, {
      token: admin,
      body: { name: env, privacyMode },
    });
    return (
      await cp.ok('POST', '/v1/targets', { token: admin, body: { environmentId: e.id, name, dialect: 'postgres' } })
    ).id as string;
  };
  orders = await target('prod', 'structure', 'orders-db');
  vault = await target('vault', 'digest', 'vault-db');
  const ben = await cp.login('ben@acme.test', password);
  const report = async (targetId: string, mode: 'structure' | 'digest', items: Suggestion[]) =>
    cp.ok('POST', `/v1/targets/${targetId}/suggestions`, {
      token: ben,
      body: { suggestions: items.map((s) => suggestionReport(s, mode)) },
    });
  await report(orders, 'structure', [found.notes, found.lines, found.invoices]);
  await report(vault, 'digest', [found.secret]);
  for (const who of ['ben', 'vic'] as const) {
    const login = await run(who, ['login', '--org', org, '--email', `${who}@acme.test`, '--password-stdin'], password);
    expect(login.status, login.stderr).toBe(0);
  }
});
afterAll(async () => {
  await cp?.close();
});

describe('isotyp suggestions', () => {
  it('lists highest score first as a table, and as JSON filtered by target name and state', async () => {
    const table = await run('vic', ['suggestions', 'list']);
    expect(table.status, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +SCORE +STATE +KIND +IMPACT +RISK +EDITS +TARGET +OBJECTS$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[1])).toEqual(['90', '90', '59', '32']);
    expect(table.stdout).toContain('public.order_lines');
    expect(table.stdout).toContain('(names withheld: digest mode)');
    expect(table.stdout).not.toContain('ledger');

    const { suggestions } = await json('vic', ['suggestions', 'list', '--target', 'orders-db', '--state', 'new']);
    expect(suggestions.map((s: { digest: string }) => s.digest)).toEqual(
      [found.lines, found.invoices, found.notes].map((s) => suggestionDigest(s)),
    );
    expect(suggestions[0]).toMatchObject({ targetId: orders, kind: 'fk-without-index', state: 'new', editCount: 1 });
    const unknown = await run('vic', ['suggestions', 'list', '--target', 'no-such-db']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('ISOTYP_NOT_FOUND');
  });

  it('accepts, rejects with a reason and snoozes, recording the reviewer; a decision is final', async () => {
    const lines = await idOf(found.lines);
    const accept = await run('ben', ['suggestions', 'accept', lines]);
    expect(accept.status, accept.stderr).toBe(0);
    expect(accept.stdout).toContain(`Accepted ${lines}`);
    const stored = await cp.store.suggestions.get(org, lines);
    expect(stored?.state).toBe('accepted');
    expect(stored?.reviewerUserId).toBe((await json('ben', ['whoami'])).userId);

    const again = await run('ben', ['suggestions', 'accept', lines, '--json']);
    expect(again.status).toBe(4);
    expect(JSON.parse(again.stdout).error.code).toBe('ISOTYP_INVALID_STATE');

    const invoices = await idOf(found.invoices);
    const reasonless = await run('ben', ['suggestions', 'reject', invoices]);
    expect(reasonless.status).toBe(64);
    expect(reasonless.stderr).toContain('Missing required flag reason');
    const rejected = await json('ben', ['suggestions', 'reject', invoices, '--reason', 'invoices are archived']);
    expect(rejected).toMatchObject({ id: invoices, state: 'rejected', reason: 'invoices are archived' });

    const notes = await idOf(found.notes);
    expect((await run('ben', ['suggestions', 'snooze', notes, '--days', '91'])).status).toBe(64);
    const snoozed = await run('ben', ['suggestions', 'snooze', notes, '--days', '14']);
    expect(snoozed.status, snoozed.stderr).toBe(0);
    const until = (await cp.store.suggestions.get(org, notes))?.snoozedUntil ?? '';
    expect(snoozed.stdout).toContain(`Snoozed ${notes} until ${until}.`);
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(13 * 86_400_000);

    const { suggestions } = await json('vic', ['suggestions', 'list', '--state', 'accepted', '--state', 'rejected']);
    expect(suggestions.map((s: { id: string }) => s.id).sort()).toEqual([lines, invoices].sort());
  });

  it('refuses a viewer’s decision with its code and exit status', async () => {
    const secret = await idOf(found.secret);
    const refused = await run('vic', ['suggestions', 'accept', secret, '--json']);
    expect(refused.status).toBe(77);
    expect(JSON.parse(refused.stdout).error.code).toBe('ISOTYP_FORBIDDEN');
    const text = await run('vic', ['suggestions', 'reject', secret, '--reason', 'no']);
    expect(text.status).toBe(77);
    expect(text.stderr).toContain('ISOTYP_FORBIDDEN');
    expect((await cp.store.suggestions.get(org, secret))?.state).toBe('new');
  });
});
