import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { binPath } from './run-cli.js';

/**
 * The public key of this checkout's development release key (scripts/release-manifest.mjs): the
 * daemon refuses to start unless ISOTYP_RELEASE_KEYS trusts the key that signed its build.
 */
export function developmentKey(): string {
  const file = fileURLToPath(new URL('../../../../.artifacts/release/dev-key.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')).publicKey;
}

/**
 * `isotyp agent start --config CONFIG` as the built binary, with its HOME, trusting this build;
 * its stdout and stderr collected in `logs()`. `stop()` sends SIGTERM and resolves its exit code.
 */
export function startAgentDaemon(config: string, home: string, env: Record<string, string> = {}) {
  const daemon = spawn(process.execPath, [binPath, 'agent', 'start', '--config', config, '--health-port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      ISOTYP_HOME: join(home, '.isotyp'),
      NO_COLOR: '1',
      ISOTYP_RELEASE_KEYS: developmentKey(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  daemon.stdout.setEncoding('utf8').on('data', (text: string) => {
    logs += text;
  });
  daemon.stderr.setEncoding('utf8').on('data', (text: string) => {
    logs += text;
  });
  const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
  return {
    logs: () => logs,
    stop: async () => {
      daemon.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `probe` every 200 ms until it is true or `ms` pass; says whether it became true. */
export async function eventually(probe: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return probe();
}

/** People of a governed site: Ana (admin, author) and Ben (approver). */
export const siteAdmin = { email: 'ana@acme.test', password: 'ana-s3cret-passphrase' };
export const siteReviewer = { email: 'ben@acme.test', password: 'ben-s3cret-passphrase' };

/**
 * An organisation ready for governed changes, over HTTPS: the control plane (its CA written for
 * the CLI to trust), Ana and Ben signed in with their approver keys, the org root and keyring,
 * and project `shop` → environment `prod` (structure mode) → SQLite target `orders`. `cli` runs
 * the built binary as one of them (`--json`, throwing on a non-zero exit); `enrolAgent` enrols an
 * agent in `homes.agent` (reaching the control plane at `url` when given) and assigns it `orders`.
 */
export async function startGovernedSite(options: { tracing?: { otlpEndpoint: string } } = {}) {
  const { startLiveControlPlane } = await import('../services/control-plane/test-support/live-control-plane.js');
  const { runCliAsync, scratchHome } = await import('../services/control-plane/test-support/run-cli-async.js');
  const cp = await startLiveControlPlane({ org: 'acme', admin: siteAdmin, tls: true, ...options });
  const homes = { admin: scratchHome(), reviewer: scratchHome(), agent: scratchHome() };
  const caFile = join(homes.admin, 'ca.crt');
  writeFileSync(caFile, (await cp.store.authorities.active())?.certificatePem ?? '');
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  const cli = async (home: string, args: string[], input = '', env: Record<string, string> = {}): Promise<any> => {
    const result = await runCliAsync([...args, '--json'], {
      home,
      input,
      env: { ISOTYP_SERVER: cp.url, NODE_EXTRA_CA_CERTS: caFile, ...env },
    });
    if (result.status !== 0) {
      throw new Error(`isotyp ${args.join(' ')} → ${result.status} ${result.stdout}${result.stderr}`);
    }
    return JSON.parse(result.stdout);
  };
  const login = (home: string, who: typeof siteAdmin) =>
    cli(home, ['login', '--org', 'acme', '--email', who.email, '--password-stdin'], who.password);
  await login(homes.admin, siteAdmin);
  await cli(
    homes.admin,
    ['users', 'create', '--email', siteReviewer.email, '--role', 'approver', '--password-stdin'],
    siteReviewer.password,
  );
  await login(homes.reviewer, siteReviewer);
  await cli(homes.admin, ['keys', 'generate']);
  await cli(homes.reviewer, ['keys', 'generate']);
  await cli(homes.admin, ['org', 'init']);
  await cli(homes.admin, ['projects', 'create', 'shop']);
  await cli(homes.admin, ['envs', 'create', 'prod', '--project', 'shop', '--privacy-mode', 'structure']);
  /** A SQLite target `name` in shop/prod, as the admin creates it. */
  const createTarget = (name: string) =>
    cli(homes.admin, ['targets', 'create', name, '--project', 'shop', '--env', 'prod', '--dialect', 'sqlite']);
  await createTarget('orders');

  /** `url`: where the agent reaches the control plane (default its own URL; a proxy in front of it, say). */
  const enrolAgent = async (options: { url?: string } = {}): Promise<{ agentId: string; targetId: string }> => {
    const { token, caFingerprint } = await cli(homes.admin, ['agents', 'token', 'edge-1']);
    const enrolled = await cli(
      homes.agent,
      ['agent', 'enroll', '--url', options.url ?? cp.url, '--ca-fingerprint', caFingerprint],
      '',
      {
        ISOTYP_ENROLMENT_TOKEN: token,
        NODE_EXTRA_CA_CERTS: '',
      },
    );
    const assigned = await cli(homes.admin, ['targets', 'assign', 'orders', '--project', 'shop', '--agent', 'edge-1']);
    expect(assigned.agentId).toBe(enrolled.agentId);
    return { agentId: enrolled.agentId as string, targetId: assigned.targetId as string };
  };

  /**
   * Ana plans `db` (on a copy, as a DBA away from the site would) towards `schema` and submits it
   * for `target`; Ben approves it. The change as submitted, and the plan file.
   */
  const submitApproved = async (
    db: string,
    schema: string,
    target = 'orders',
  ): Promise<{ change: { id: string }; plan: string }> => {
    const plan = join(homes.admin, `${target}-plan.json`);
    const copy = join(homes.admin, `${target}-copy.db`);
    writeFileSync(copy, readFileSync(db));
    await cli(homes.admin, ['plan', '--target', `sqlite:${copy}`, '--schema', schema, '--out', plan]);
    const change = await cli(homes.admin, [
      ...['submit', '--plan', plan, '--project', 'shop', '--env', 'prod', '--target', target],
    ]);
    await cli(homes.reviewer, ['approve', change.id]);
    return { change, plan };
  };
  return { cp, homes, caFile, cli, createTarget, enrolAgent, submitApproved };
}

/**
 * In the agent's `home`: the SQLite database `orders.db` made by `sql` (a table `orders` with one
 * row by default), a desired schema that adds a column `currency`, and `agent.yaml` naming them
 * as target `orders` in `prod` (plus `extraConfig`, YAML appended as it is).
 */
export function ordersTarget(
  home: string,
  { sql = ORDERS_SQL, extraConfig = '' }: { sql?: string; extraConfig?: string } = {},
): { db: string; schema: string; config: string } {
  const db = join(home, 'orders.db');
  const conn = new Database(db);
  conn.exec(sql);
  conn.close();
  const schema = join(home, 'schema.sql');
  writeFileSync(schema, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, currency TEXT);\n');
  const config = join(home, 'agent.yaml');
  writeFileSync(
    config,
    `targets:\n  orders:\n    url: sqlite:${db}\n    schema: ${schema}\n    environment: prod\n${extraConfig}`,
  );
  return { db, schema, config };
}

/** The columns of `orders` in the target `db` and the number of its history rows: what an apply changed. */
export function ordersState(db: string): { columns: string[]; history: number } {
  const conn = new Database(db, { readonly: true });
  try {
    const columns = conn
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('orders')")
      .all()
      .map((c) => c.name);
    const hasHistory = conn.prepare("SELECT 1 FROM sqlite_master WHERE name = 'isotyp_history'").get() !== undefined;
    const history = hasHistory
      ? (conn.prepare('SELECT count(*) AS n FROM isotyp_history').get() as { n: number }).n
      : 0;
    return { columns, history };
  } finally {
    conn.close();
  }
}

const ORDERS_SQL =
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER); INSERT INTO orders (total) VALUES (42);';
