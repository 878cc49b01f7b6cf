import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotatePassphrase } from '@isotyp/control-plane';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import { STACK_FRAME } from '../../test-support/run-cli.js';
import { startServerProcess } from '../../test-support/server-process.js';

const PASSWORD = 'a long enough passphrase';
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/** An embedded store made by a first start (with its passphrase file), and a session from it. */
async function embeddedStore(): Promise<{ db: string; file: string; token: string }> {
  const db = join(mkdtempSync(join(tmpdir(), 'isotyp-rotate-')), 'cp.db');
  const server = startServerProcess(
    ['--log-level', 'silent', '--db', `sqlite:${db}`, '--org', 'acme', '--admin-email', 'admin@acme.test'],
    running,
    { ISOTYP_ADMIN_PASSWORD: PASSWORD },
  );
  const url = await server.url;
  expect(url, server.output().stderr).toBeDefined();
  const token = await login(url ?? '');
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  return { db, file: `${db}.ca-passphrase`, token };
}

async function login(url: string): Promise<string> {
  const answer = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: 'acme', email: 'admin@acme.test', password: PASSWORD }),
  });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { accessToken: string }).accessToken;
}

/** Starts the server on `db` again, and checks that a session from before still counts. */
async function startsAgain(db: string, token: string): Promise<ReturnType<typeof startServerProcess>> {
  const server = startServerProcess(['--log-level', 'silent', '--db', `sqlite:${db}`], running);
  const url = await server.url;
  expect(url, server.output().stderr).toBeDefined();
  const whoami = await fetch(`${url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
  expect(whoami.status).toBe(200);
  return server;
}

const rotate = (args: string[], env: Record<string, string> = {}, input?: string) =>
  runCliAsync(['server', 'rotate-passphrase', ...args], {
    home: scratchHome(),
    env,
    ...(input === undefined ? {} : { input }),
  });

describe('isotyp server rotate-passphrase', () => {
  it('gives the embedded store a new passphrase file, and refuses while the server runs', async () => {
    const { db, file, token } = await embeddedStore();
    const old = readFileSync(file, 'utf8');

    const moved = await rotate(['--db', `sqlite:${db}`, '--json']);
    expect(moved.status, moved.stderr).toBe(0);
    const result = JSON.parse(moved.stdout);
    // No agent enrolled yet, so no CA; the signing key at least.
    expect(result).toMatchObject({ authorities: 0, passphraseFile: file });
    expect(result.secrets).toBeGreaterThanOrEqual(1);
    const fresh = readFileSync(file, 'utf8');
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(existsSync(`${file}.new`)).toBe(false);
    // The passphrase is never printed.
    expect(moved.stdout + moved.stderr).not.toContain(fresh);

    // The server starts on the new file, with the same signing key; while it runs, no rotation.
    const server = await startsAgain(db, token);
    const refused = await rotate(['--db', `sqlite:${db}`]);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toContain('ISOTYP_CONFLICT');
    expect(refused.stderr).toContain('Stop every control plane');
    expect(refused.stderr).not.toMatch(STACK_FRAME);
    expect(readFileSync(file, 'utf8')).toBe(fresh);
    expect(existsSync(`${file}.new`)).toBe(false);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    // Human output names what moved and where the passphrase is.
    const again = await rotate(['--db', `sqlite:${db}`]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Moved 0 CA keys and \d+ sealed values? to the new passphrase/);
    expect(again.stdout).toContain(file);
  });

  it('finishes a run that stopped on either side of its commit, and the server waits for it', async () => {
    const { db, file, token } = await embeddedStore();
    const current = readFileSync(file, 'utf8');

    // Stopped before its commit: the new passphrase is beside the file, the database untouched.
    const first = 'first-new-passphrase-3b9e51c7';
    writeFileSync(`${file}.new`, first, { mode: 0o600 });
    const waiting = startServerProcess(['--log-level', 'silent', '--db', `sqlite:${db}`], running);
    expect(await waiting.exited).toBe(78);
    expect(waiting.output().stderr).toContain('did not finish');
    expect(waiting.output().stderr).toContain('isotyp server rotate-passphrase');
    const resumed = await rotate(['--db', `sqlite:${db}`]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(existsSync(`${file}.new`)).toBe(false);

    // Stopped after its commit: the database is under the new passphrase, the file not yet.
    const second = 'second-new-passphrase-a0c4d2e8';
    await rotatePassphrase(`sqlite:${db}`, first, second);
    writeFileSync(`${file}.new`, second, { mode: 0o600 });
    const finished = await rotate(['--db', `sqlite:${db}`, '--json']);
    expect(finished.status, finished.stderr).toBe(0);
    expect(JSON.parse(finished.stdout)).toMatchObject({ finishedEarlierRun: true, passphraseFile: file });
    expect(readFileSync(file, 'utf8')).toBe(second);
    expect(existsSync(`${file}.new`)).toBe(false);

    const server = await startsAgain(db, token);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(current).not.toBe(second);
  });

  it('takes the passphrases from the environment and stdin, and says what is missing', async () => {
    const { db, file, token } = await embeddedStore();
    const current = readFileSync(file, 'utf8');
    const env = { ISOTYP_CA_PASSPHRASE: current };

    // A mistyped path is not made into a new, empty store.
    const typo = await rotate(['--db', `sqlite:${db}.typo`], env);
    expect(typo.status).toBe(78);
    expect(typo.stderr).toContain('There is no control plane database');
    expect(existsSync(`${db}.typo`)).toBe(false);
    const missing = await rotate(['--db', `sqlite:${db}`], env);
    expect(missing.status).toBe(64);
    expect(missing.stderr).toContain('ISOTYP_USAGE');
    expect(missing.stderr).toContain('--new-passphrase-stdin');
    const short = await rotate(['--db', `sqlite:${db}`, '--new-passphrase-stdin'], env, 'short\n');
    expect(short.status).toBe(64);
    expect(short.stderr).toContain('at least 16 characters');
    const wrong = await rotate(
      ['--db', `sqlite:${db}`, '--new-passphrase-stdin'],
      {
        ISOTYP_CA_PASSPHRASE: 'not-the-current-passphrase',
      },
      'another-new-passphrase-55e1\n',
    );
    expect(wrong.status).toBe(78);
    expect(wrong.stderr).toContain('ISOTYP_CONFIG_INVALID');
    expect(wrong.stderr).not.toMatch(STACK_FRAME);

    const next = 'from-the-secret-store-9f2c7a1b';
    const moved = await rotate(['--db', `sqlite:${db}`, '--new-passphrase-stdin', '--json'], env, `${next}\n`);
    expect(moved.status, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout).passphraseFile).toBeUndefined();
    // The environment's passphrase is the operator's to change: the embedded file is left alone.
    expect(readFileSync(file, 'utf8')).toBe(current);
    const server = startServerProcess(['--log-level', 'silent', '--db', `sqlite:${db}`], running, {
      ISOTYP_CA_PASSPHRASE: next,
    });
    const url = await server.url;
    expect(url, server.output().stderr).toBeDefined();
    const whoami = await fetch(`${url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(whoami.status).toBe(200);
  });
});

/** The key id a JWT names in its header. */
const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid as string;

describe('isotyp server rotate-signing-key', () => {
  it('signs with a new key beside a running server, and with --revoke-previous refuses the old tokens at once', async () => {
    const { db, token } = await embeddedStore();
    const server = startServerProcess(['--log-level', 'silent', '--db', `sqlite:${db}`], running);
    const url = (await server.url) ?? '';
    expect(url, server.output().stderr).not.toBe('');
    const whoami = async (bearer: string) =>
      (await fetch(`${url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${bearer}` } })).status;
    const published = async () =>
      ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys
        .map((key) => key.kid)
        .sort();
    const first = kidOf(token);

    const rotated = await runCliAsync(['server', 'rotate-signing-key', '--db', `sqlite:${db}`, '--json'], {
      home: scratchHome(),
    });
    expect(rotated.status, rotated.stderr).toBe(0);
    const second = JSON.parse(rotated.stdout);
    expect(second).toMatchObject({ kid: expect.any(String), retired: [first], revoked: [] });
    // The running server signs new sessions with the new key; the old session still counts.
    expect(kidOf(await login(url))).toBe(second.kid);
    expect(await whoami(token)).toBe(200);
    expect(await published()).toEqual([first, second.kid].sort());

    const revoked = await runCliAsync(['server', 'rotate-signing-key', '--db', `sqlite:${db}`, '--revoke-previous'], {
      home: scratchHome(),
    });
    expect(revoked.status, revoked.stderr).toBe(0);
    // Newest first.
    expect(revoked.stdout).toContain(`Revoked ${second.kid}, ${first}:`);
    const third = /signed with key (\S+) from now on/.exec(revoked.stdout)?.[1];
    expect(third).toBeDefined();
    // Refused at once by the server already running: it follows the key table.
    expect(await whoami(token)).toBe(401);
    const fresh = await login(url);
    expect(kidOf(fresh)).toBe(third);
    expect(await whoami(fresh)).toBe(200);
    expect(await published()).toEqual([third]);
    // Each rotation is in the organisation's audit log, read by the server that did not make it.
    const story = async (kid: string) => {
      const response = await fetch(`${url}/v1/audit/entries?entity=signing-key:${kid}`, {
        headers: { authorization: `Bearer ${fresh}` },
      });
      return ((await response.json()) as { entries: { action: string; actor: string }[] }).entries;
    };
    expect(await story(second.kid)).toEqual([
      expect.objectContaining({ action: 'server.signing-key.rotate', actor: 'system' }),
    ]);
    expect(await story(third ?? '')).toEqual([
      expect.objectContaining({ action: 'server.signing-key.rotate', actor: 'system' }),
    ]);

    // A passphrase that does not open the stored keys would seal the new one apart: refused.
    const wrong = await runCliAsync(['server', 'rotate-signing-key', '--db', `sqlite:${db}`], {
      home: scratchHome(),
      env: { ISOTYP_CA_PASSPHRASE: 'not-the-server-passphrase' },
    });
    expect(wrong.status).toBe(78);
    expect(wrong.stderr).toContain('ISOTYP_CONFIG_INVALID');
    expect(wrong.stderr).not.toMatch(STACK_FRAME);
    expect(await published()).toEqual([third]);
  });
});
