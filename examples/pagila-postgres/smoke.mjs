#!/usr/bin/env node
// Smoke test CI runs: a throwaway PostgreSQL server, Pagila loaded into it, then the CLI as a
// user would run it — inspect, plan a release, apply, check drift, roll back.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../scripts/pg-server.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = fileURLToPath(new URL('../../packages/cli/bin/run.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'isotyp-pagila-'));
const server = await startPostgres();

function isotyp(...args) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
function expect(condition, message) {
  if (!condition) throw new Error(`pagila-postgres smoke: ${message}`);
}

try {
  const psql = join(server.bin, 'psql');
  execFileSync(psql, ['-q', '-d', server.url, '-c', 'CREATE DATABASE pagila']);
  const target = server.url.replace(/\/[^/?]*(\?|$)/, '/pagila$1');
  execFileSync(psql, ['-q', '-v', 'ON_ERROR_STOP=1', '-d', target, '-f', join(here, 'schema.sql')]);

  const inspected = JSON.parse(isotyp('inspect', '-t', target, '--json').stdout);
  expect(inspected.counts.tables >= 15, `expected Pagila's tables, got ${inspected.counts.tables}`);

  // A release: customers get a loyalty tier with a default, and an index to look it up.
  const schema = join(work, 'schema.sql');
  writeFileSync(
    schema,
    readFileSync(join(here, 'schema.sql'), 'utf8')
      .replace(
        '    active integer\n);',
        "    active integer,\n    loyalty_tier text DEFAULT 'bronze'::text NOT NULL\n);",
      )
      .concat('\nCREATE INDEX idx_customer_loyalty_tier ON public.customer USING btree (loyalty_tier);\n'),
  );
  const planFile = join(work, 'plan.json');
  const planned = isotyp('plan', '-t', target, '--schema', schema, '--out', planFile, '--json');
  expect(planned.status === 0, `plan failed: ${planned.stderr}`);
  const plan = JSON.parse(planned.stdout);
  expect(plan.operations.length >= 2, 'the release planned too few operations');

  const applied = isotyp('apply', '-t', target, '--plan', planFile, '--yes', '--json');
  expect(applied.status === 0, `apply failed: ${applied.stderr}`);
  expect(JSON.parse(applied.stdout).toDigest === plan.toDigest, 'the applied schema is not the planned one');
  expect(isotyp('drift', '-t', target).status === 0, 'drift reported right after apply');

  const back = isotyp('rollback', '-t', target, '--yes', '--json');
  expect(back.status === 0, `rollback failed: ${back.stderr}`);
  expect(JSON.parse(back.stdout).toDigest === plan.fromDigest, 'rollback did not restore the schema');
  console.log(`pagila-postgres smoke: ok (${plan.operations.length} operations, ${plan.fromDigest.slice(0, 19)}…)`);
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
