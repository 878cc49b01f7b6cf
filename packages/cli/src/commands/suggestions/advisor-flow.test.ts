import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import type { CliResult } from '../../test-support/run-cli.js';

/*
 * The advisor's whole loop with the built binary against the real control plane: Ana runs
 * `isotyp suggest --report` at the site, the control plane keeps metadata and digests only (names
 * as the privacy mode allows, never statements), she accepts a suggestion, and
 * `isotyp suggestions draft` turns it into an ordinary change request, signed by her.
 */
const password = 'advisor-flow-s3cret-passphrase';
const home = scratchHome();
let cp: LiveControlPlane;
let db: string;
let schema: string;
const DDL = `CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE purchase (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer (id), secret_total INTEGER);
`;

const run = (args: string[], input = ''): Promise<CliResult> =>
  runCliAsync(args, { home, input, env: { ISOTYP_SERVER: cp.url } });

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
async function json(args: string[]): Promise<any> {
  const result = await run([...args, '--json']);
  expect(result.status, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin: { email: 'ana@acme.test', password } });
  db = join(home, 'orders.db');
  const conn = new Database(db);
  conn.exec(DDL);
  conn.close();
  // The desired state, in step with the database.
  schema = join(home, 'schema.sql');
  writeFileSync(schema, DDL);
  for (const args of [
    ['login', '--org', 'acme', '--email', 'ana@acme.test', '--password-stdin'],
    ['keys', 'generate'],
    ['org', 'init'],
    ['projects', 'create', 'shop'],
    ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'structure'],
    ['envs', 'create', 'vault', '--project', 'shop', '--privacy-mode', 'digest'],
    ['targets', 'create', 'orders', '--env', 'prod', '--project', 'shop', '--dialect', 'sqlite'],
    ['targets', 'create', 'ledger', '--env', 'vault', '--project', 'shop', '--dialect', 'sqlite'],
  ]) {
    const result = await run(args, args[0] === 'login' ? password : '');
    expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await cp?.close();
});

describe('the advisor loop: suggest --report, review, draft', () => {
  let suggestionId = '';

  it('reports metadata and digests only, with names in structure mode and none in digest mode', async () => {
    const reported = await json(['suggest', '-t', `sqlite:${db}`, '--report', '--env', 'prod', '--project', 'shop']);
    expect(reported.reported).toMatchObject({ privacyMode: 'structure', created: 1, updated: 0 });
    const again = await json(['suggest', '-t', `sqlite:${db}`, '--report', '--env', 'prod', '--project', 'shop']);
    expect(again.reported).toMatchObject({ created: 0, updated: 1 });

    const { suggestions } = await json(['suggestions', 'list', '--target', 'orders']);
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]).toMatchObject({ kind: 'fk-without-index', state: 'new', editCount: 1 });
    expect(suggestions[0].objects.map((o: { name: string }) => o.name)).toContain('purchase');
    suggestionId = suggestions[0].id;

    const vault = await json(['suggest', '-t', `sqlite:${db}`, '--report', '--env', 'vault', '--project', 'shop']);
    expect(vault.reported).toMatchObject({ privacyMode: 'digest', created: 1 });
    const hidden = await json(['suggestions', 'list', '--target', 'ledger']);
    expect(hidden.suggestions[0].objects).toEqual([]);

    // What the control plane keeps: no statement, no column of the proposal, no name in digest mode.
    const stored = JSON.stringify(
      await cp.store.suggestions.list('acme', { now: new Date().toISOString(), limit: 100 }),
    );
    expect(stored).not.toMatch(/CREATE INDEX|purchase_customer_id_idx|secret_total/);
    // The full proposals stay on this machine, private.
    expect(readdirSync(join(home, '.isotyp', 'suggestions')).length).toBeGreaterThan(0);
  });

  it('drafts an accepted suggestion into a signed change request that follows the normal lifecycle', async () => {
    const early = await run(['suggestions', 'draft', suggestionId, '-t', `sqlite:${db}`, '-s', schema]);
    expect(early.status).not.toBe(0);
    expect(early.stderr).toContain('ISOTYP_INVALID_STATE');

    await json(['suggestions', 'accept', suggestionId]);
    const out = join(home, 'suggested.plan.json');
    const drafted = await json([
      'suggestions',
      'draft',
      suggestionId,
      '-t',
      `sqlite:${db}`,
      '-s',
      schema,
      '--out',
      out,
    ]);
    expect(drafted.change).toMatchObject({ state: 'submitted', bump: 'patch' });
    expect(drafted.change.title).toContain('fk-without-index');
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    expect(plan.ops.map((op: { action: string }) => op.action)).toEqual(['create-index']);
    expect(drafted.change.planDigest).toBe(plan.planDigest);
    // A desired-state edit: the schema file now holds the index, under a comment naming the
    // suggestion, and planning it again — as isotyp apply --change --schema will — gives the very
    // plan that was submitted.
    const desired = readFileSync(schema, 'utf8');
    expect(desired.startsWith(DDL)).toBe(true);
    expect(desired).toContain(`-- isotyp suggestion ${suggestionId} (fk-without-index)`);
    expect(desired).toMatch(/CREATE INDEX "purchase_customer_id_idx" ON "purchase" \("customer_id"\);/);
    const replanned = await json(['plan', '-t', `sqlite:${db}`, '--schema', schema]);
    expect(replanned.planDigest).toBe(drafted.change.planDigest);

    const { suggestions } = await json(['suggestions', 'list', '--target', 'orders', '--state', 'accepted']);
    expect(suggestions[0]).toMatchObject({ id: suggestionId, changeId: drafted.change.id });
    const again = await run(['suggestions', 'draft', suggestionId, '-t', `sqlite:${db}`, '-s', schema, '--out', out]);
    expect(again.status).toBe(4);
    expect(again.stderr).toContain('ISOTYP_CONFLICT');
    // The database is untouched until the change is approved and applied.
    const conn = new Database(db, { readonly: true });
    const indexes = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all();
    conn.close();
    expect(indexes).toEqual([]);
  });

  it('refuses to draft into a desired schema that is not in step with the database, and leaves it as it was', async () => {
    const { suggestions } = await json(['suggestions', 'list', '--target', 'ledger']);
    const id = suggestions[0].id as string;
    await json(['suggestions', 'accept', id]);
    const behind = join(home, 'behind.sql');
    const text = 'CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n';
    writeFileSync(behind, text);
    const refused = await run(['suggestions', 'draft', id, '-t', `sqlite:${db}`, '-s', behind]);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toContain('ISOTYP_CONFLICT');
    expect(refused.stderr).toContain('already differs from the database');
    expect(readFileSync(behind, 'utf8')).toBe(text);
    expect(
      (await json(['suggestions', 'list', '--target', 'ledger', '--state', 'accepted'])).suggestions[0].changeId,
    ).toBe(undefined);
  });

  it('takes up an earlier draft cut off after its edit: the edit is planned, not made twice', async () => {
    // What a draft leaves behind when the control plane is not heard after the schema was edited
    // (the agent daemon tries again on its next round; a person runs the command again).
    const [accepted] = (await json(['suggestions', 'list', '--target', 'ledger', '--state', 'accepted'])).suggestions;
    const cutOff = join(home, 'cut-off.sql');
    const text = `${DDL}\n-- isotyp suggestion ${accepted.id} (fk-without-index), proposal ${accepted.digest}\nCREATE INDEX "purchase_customer_id_idx" ON "purchase" ("customer_id");\n`;
    writeFileSync(cutOff, text);
    const out = join(home, 'cut-off.plan.json');
    const drafted = await json(['suggestions', 'draft', accepted.id, '-t', `sqlite:${db}`, '-s', cutOff, '--out', out]);
    expect(drafted.change).toMatchObject({ state: 'submitted', bump: 'patch' });
    expect(readFileSync(cutOff, 'utf8')).toBe(text);
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    expect(plan.ops.map((op: { action: string }) => op.action)).toEqual(['create-index']);
    expect(drafted.change.planDigest).toBe(plan.planDigest);
  });
});
