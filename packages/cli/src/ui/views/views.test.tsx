import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, secretStore } from '../../services/control-plane/connection.js';
import { readStatus, reviewBackend } from '../../services/control-plane/review-backend.js';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import { ReviewApp } from './review-app.js';
import { StatusView } from './status-view.js';

/*
 * The ink views (ink-testing-library) over the real control plane: `isotyp review`'s screen
 * lists what waits, opens a change, approves and rejects it — signed with the reviewer's key from
 * their $ISOTYP_HOME — and `isotyp status` shows the fleet and the changes in flight.
 */
const password = 'views-s3cret-passphrase';
const homes = { ana: scratchHome(), ben: scratchHome() };
let cp: LiveControlPlane;
const ids: string[] = [];

async function cli(who: keyof typeof homes, args: string[], input = '') {
  const result = await runCliAsync(args, { home: homes[who], input, env: { ISOTYP_SERVER: cp.url } });
  if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Waits until the frame shows `text` (ink renders asynchronously). */
async function until(frame: () => string | undefined, text: string, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const now = frame() ?? '';
    if (now.includes(text)) return now;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the screen never showed "${text}":\n${JSON.stringify(frame())}`);
}

/** Moves the cursor down until its line (the one starting ›) holds `text`. */
async function select(app: ReturnType<typeof render>, text: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const line = (app.lastFrame() ?? '').split('\n').find((l) => l.startsWith('›')) ?? '';
    if (line.includes(text)) return;
    app.stdin.write('\u001B[B');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`could not select ${text}:\n${app.lastFrame()}`);
}

const env = (who: keyof typeof homes) => ({ ...process.env, ISOTYP_HOME: join(homes[who], '.isotyp') });

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin: { email: 'ana@acme.test', password } });
  const admin = await cp.login('ana@acme.test', password);
  await cp.createUser(admin, {
    email: 'ben@acme.test',
    password,
    grants: [{ role: 'approver', scope: { kind: 'org' } }],
  });
  await cli('ana', ['login', '--org', 'acme', '--email', 'ana@acme.test', '--password-stdin'], password);
  await cli('ben', ['login', '--org', 'acme', '--email', 'ben@acme.test', '--password-stdin'], password);
  await cli('ana', ['keys', 'generate']);
  await cli('ben', ['keys', 'generate']);
  await cli('ana', ['org', 'init']);
  await cli('ana', ['projects', 'create', 'shop']);
  await cli('ana', ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'structure']);
  // One change per target: a newer change on the same target supersedes an older open one.
  for (const [target, column, title] of [
    ['orders', 'currency', 'Add currency'],
    ['billing', 'coupon', 'Add coupon'],
  ] as const) {
    ids.push((await submitChange(target, column, title)).id);
  }
}, 120_000);

/** Ana creates `target` (a SQLite database with table orders) and submits a column added to it. */
async function submitChange(target: string, column: string, title: string) {
  await cli('ana', ['targets', 'create', target, '--project', 'shop', '--env', 'prod', '--dialect', 'sqlite']);
  const db = join(homes.ana, `${target}.db`);
  const conn = new Database(db);
  conn.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)');
  conn.close();
  const schema = join(homes.ana, `${target}.sql`);
  writeFileSync(schema, `CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, ${column} TEXT);\n`);
  const plan = join(homes.ana, `${target}.json`);
  await cli('ana', ['plan', '-t', `sqlite:${db}`, '--schema', schema, '--out', plan]);
  const args = ['submit', '--plan', plan, '--env', 'prod', '--project', 'shop', '--target', target];
  return JSON.parse(await cli('ana', [...args, '--title', title, '--json']));
}

afterAll(async () => {
  await cp?.close();
});

describe('isotyp review (ink)', () => {
  it('lists what waits, opens a change, approves one and rejects another with a signed reason', async () => {
    const backend = reviewBackend(connect({ env: env('ben') }), secretStore(env('ben')));
    const app = render(<ReviewApp backend={backend} />);
    try {
      const list = await until(app.lastFrame, 'Waiting for review (2)');
      expect(list).toContain('Add currency');
      expect(list).toContain('Add coupon');
      expect(list).toContain('↑/↓ choose · Enter open · q quit');

      // ↓ until the cursor (›) is on Add currency, then Enter.
      await select(app, 'Add currency');
      app.stdin.write('\r');
      const detail = await until(app.lastFrame, 'a approve · r reject');
      expect(detail).toContain('Add currency');
      expect(detail).toContain('layer review (approver): 1 more needed');
      app.stdin.write('a');
      await until(app.lastFrame, 'Approved layer review');
      await until(app.lastFrame, 'Waiting for review (1)');
      expect((await cp.store.changes.get('acme', ids[0] ?? ''))?.state).toBe('approved');

      app.stdin.write('\r');
      await until(app.lastFrame, 'a approve · r reject');
      app.stdin.write('r');
      await until(app.lastFrame, 'Reason for rejecting:');
      app.stdin.write('\r');
      await until(app.lastFrame, 'A rejection needs its reason.');
      app.stdin.write('Coupons are not in scope');
      await until(app.lastFrame, 'Coupons are not in scope');
      app.stdin.write('\r');
      await until(app.lastFrame, 'Rejected layer review');
      await until(app.lastFrame, 'Waiting for review (0)');
      const rejected = await cp.store.changes.get('acme', ids[1] ?? '');
      expect(rejected?.state).toBe('rejected');
    } finally {
      app.unmount();
    }
  });

  it('shows what went wrong instead of failing: the author cannot approve their own change', async () => {
    await submitChange('ledger', 'memo', 'Own change');
    const app = render(<ReviewApp backend={reviewBackend(connect({ env: env('ana') }), secretStore(env('ana')))} />);
    try {
      await until(app.lastFrame, 'Own change');
      app.stdin.write('\r');
      await until(app.lastFrame, 'a approve');
      app.stdin.write('a');
      const frame = await until(app.lastFrame, 'ISOTYP_');
      expect(frame).toMatch(/author|own change|separation/i);
    } finally {
      app.unmount();
    }
  });
});

describe('isotyp status (ink)', () => {
  it('shows the fleet and the changes in flight with their risk', async () => {
    const status = await readStatus(connect({ env: env('ana') }));
    const view = render(<StatusView agents={status.agents} changes={status.changes} now={Date.now()} />);
    const frame = view.lastFrame() ?? '';
    view.unmount();
    expect(frame).toContain('Fleet (0)');
    expect(frame).toContain('No agent yet');
    expect(frame).toContain('Add currency');
    expect(frame).toContain('approved');
    expect(frame).toContain('Own change');
    expect(frame).not.toContain('Add coupon');
  });
});
