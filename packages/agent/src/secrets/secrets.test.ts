import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encryptedFileStore } from './encrypted-file.js';
import type { SecretStore } from './secret-store.js';
import { resolveTargetSecrets } from './target-secrets.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-secrets-'));
  dirs.push(dir);
  return dir;
}

const KEY = 'vault-key-for-tests-7d1c2e9a';
const AGENT = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Runs `body` in a fresh Node process with `env` only (plus PATH): `agent` is the built package. */
function inNode(
  body: string,
  env: Record<string, string>,
  wrap: (command: string[]) => string[] = (c) => c,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `const agent = await import(${JSON.stringify(AGENT)});\n${body}`;
  const [command, ...args] = wrap([process.execPath, '--input-type=module', '-e', script]);
  const child = spawn(command as string, args, { env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('the encrypted-file vault', () => {
  it('keeps secrets across opens, in a 0600 file that shows neither names nor values', async () => {
    const path = join(tempDir(), 'secrets.vault');
    const store = encryptedFileStore(path, { key: KEY });
    await store.set('prod-db', 'hunter2-💡-password');
    await store.set('replica', 'other');
    expect(await store.delete('replica')).toBe(true);
    expect(await store.delete('replica')).toBe(false);
    const again = encryptedFileStore(path, { key: KEY });
    expect(await again.get('prod-db')).toBe('hunter2-💡-password');
    expect(await again.get('replica')).toBeUndefined();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    for (const visible of ['prod-db', 'hunter2', 'replica']) expect(text).not.toContain(visible);
  });

  it('refuses another key, and a file changed by one bit, without reading anything', async () => {
    const path = join(tempDir(), 'secrets.vault');
    await encryptedFileStore(path, { key: KEY }).set('prod-db', 's3cret');
    await expect(encryptedFileStore(path, { key: `${KEY}-other` }).get('prod-db')).rejects.toMatchObject({
      code: 'ISOTYP_CREDENTIALS_INVALID',
    });
    const vault = JSON.parse(readFileSync(path, 'utf8'));
    const box = Buffer.from(vault.box, 'base64url');
    box[box.length - 1] = (box[box.length - 1] as number) ^ 1;
    writeFileSync(path, JSON.stringify({ ...vault, box: box.toString('base64url') }));
    await expect(encryptedFileStore(path, { key: KEY }).get('prod-db')).rejects.toMatchObject({
      code: 'ISOTYP_CREDENTIALS_INVALID',
    });
    writeFileSync(path, '{"not":"a vault"}');
    await expect(encryptedFileStore(path, { key: KEY }).get('prod-db')).rejects.toMatchObject({
      code: 'ISOTYP_CONFIG_INVALID',
    });
  });

  it('refuses short keys, bad names and empty values with stable codes', async () => {
    expect(() => encryptedFileStore(join(tempDir(), 'v'), { key: 'short' })).toThrow(/too short/);
    const store = encryptedFileStore(join(tempDir(), 'v'), { key: KEY });
    await expect(store.set('../etc/passwd', 'x')).rejects.toMatchObject({ code: 'ISOTYP_INVALID_INPUT' });
    await expect(store.set('ok', '')).rejects.toMatchObject({ code: 'ISOTYP_INVALID_INPUT' });
    await expect(store.set('ok', 'x'.repeat(20_000))).rejects.toMatchObject({ code: 'ISOTYP_PAYLOAD_TOO_LARGE' });
  });

  it('loses no secret when several processes write at once', async () => {
    const home = tempDir();
    const writers = Array.from({ length: 4 }, (_, i) =>
      inNode(
        `const store = agent.encryptedFileStore(${JSON.stringify(join(home, 'secrets.vault'))}, { key: ${JSON.stringify(KEY)} });
         for (let j = 0; j < 5; j++) await store.set('w${i}-' + j, 'v${i}-' + j);`,
        {},
      ),
    );
    for (const result of await Promise.all(writers)) expect(result.stderr).toBe('');
    const store = encryptedFileStore(join(home, 'secrets.vault'), { key: KEY });
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) expect(await store.get(`w${i}-${j}`)).toBe(`v${i}-${j}`);
  });
});

describe('choosing the secret store', () => {
  it('falls back to the encrypted file, saying so, where no Secret Service runs', async () => {
    const home = tempDir();
    const result = await inNode(
      `const { store, notice } = await agent.openSecretStore({ home: ${JSON.stringify(home)} });
       await store.set('prod-db', 'p4ss');
       console.log(JSON.stringify({ backend: store.backend, notice, value: await store.get('prod-db') }));`,
      { ISOTYP_VAULT_KEY: KEY },
    );
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ backend: 'file', value: 'p4ss' });
    expect(out.notice).toMatch(/No OS keychain here \(.*D-Bus.*\); secrets are kept in the encrypted file/);
  });

  it('takes the vault key from a systemd credential, and refuses to go on without any key', async () => {
    const home = tempDir();
    const credentials = tempDir();
    writeFileSync(join(credentials, 'isotyp-vault-key'), `${KEY}\n`);
    chmodSync(join(credentials, 'isotyp-vault-key'), 0o400);
    const fromCredential = await inNode(
      `const { store } = await agent.openSecretStore({ home: ${JSON.stringify(home)} });
       await store.set('a', 'b'); console.log(store.backend);`,
      { CREDENTIALS_DIRECTORY: credentials },
    );
    expect(fromCredential.stdout.trim()).toBe('file');
    expect(await encryptedFileStore(join(home, 'secrets.vault'), { key: KEY }).get('a')).toBe('b');

    const none = await inNode(
      `try { await agent.openSecretStore({ home: ${JSON.stringify(home)} }); } catch (e) { console.log(JSON.stringify({ code: e.code, hint: e.hint })); }`,
      {},
    );
    const refused = JSON.parse(none.stdout);
    expect(refused.code).toBe('ISOTYP_CONFIG_INVALID');
    expect(refused.hint).toContain('ISOTYP_VAULT_KEY');
  });

  it('uses the OS keychain of a real Secret Service (gnome-keyring on a D-Bus session bus)', async () => {
    const runtime = tempDir();
    chmodSync(runtime, 0o700);
    const result = await inNode(
      `const { store, notice } = await agent.openSecretStore({ home: ${JSON.stringify(tempDir())} });
       await store.set('prod-db', 'k3ychain-value');
       const url = await agent.resolveTargetSecrets('postgres://app@db.internal:5432/prod?password=keychain:prod-db&sslmode=require', store);
       const deleted = await store.delete('prod-db');
       console.log(JSON.stringify({ backend: store.backend, notice, url, deleted, after: await store.get('prod-db') ?? null }));`,
      // A home of its own: the daemon creates (and unlocks) a fresh login keyring there.
      { HOME: tempDir(), XDG_RUNTIME_DIR: runtime, ISOTYP_KEYCHAIN_SERVICE: `isotyp-test-${process.pid}` },
      // A session bus of its own, and the keyring daemon unlocked on it, as a desktop session has.
      (command) => [
        'dbus-run-session',
        '--',
        'sh',
        '-c',
        'printf %s test-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && exec "$@"',
        'sh',
        ...command,
      ],
    );
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toEqual({
      backend: 'keychain',
      url: 'postgres://app:k3ychain-value@db.internal:5432/prod?sslmode=require',
      deleted: true,
      after: null,
    });
  });
});

describe('secret references in target URLs', () => {
  const store = (values: Record<string, string>): SecretStore => ({
    backend: 'file',
    location: 'a test vault',
    get: async (name) => values[name],
    set: async () => {},
    delete: async () => false,
  });

  it('puts the named secret in as the password, and leaves URLs without a reference alone', async () => {
    expect(await resolveTargetSecrets('postgres://app@h/db?password=keychain:p', store({ p: 'a b/c@d' }))).toBe(
      'postgres://app:a%20b%2Fc%40d@h/db',
    );
    for (const url of ['sqlite:./app.db', 'postgres://app@h/db', 'postgres://app@h/db?password=plain']) {
      expect(await resolveTargetSecrets(url, store({}))).toBe(url);
    }
  });

  it('says which secret is missing and how to store it, without a value anywhere', async () => {
    await expect(
      resolveTargetSecrets('postgres://app@h/db?password=keychain:prod-db', store({})),
    ).rejects.toMatchObject({
      code: 'ISOTYP_NOT_FOUND',
      hint: expect.stringContaining('isotyp secrets set prod-db'),
    });
  });
});
