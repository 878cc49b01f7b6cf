import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresServerUrl } from '../../../../../scripts/test-support/postgres.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';

/*
 * isotyp secrets, as the built binary, on a host without a Secret Service (as CI is): the
 * encrypted vault is chosen, with a notice, and target URLs take passwords by reference. (The
 * keychain backend itself is tested against a real gnome-keyring in the agent's secrets tests.)
 */
const VAULT_KEY = 'cli-secrets-test-vault-key-51e2';
const SECRET = 'Sup3r-s3cret-db-password';

describe('isotyp secrets', () => {
  const home = scratchHome();
  const env = { ISOTYP_VAULT_KEY: VAULT_KEY };
  const cli = (args: string[], input = '') => runCliAsync(args, { home, env, input });

  it('stores a value read from stdin, prints it on request and removes it', async () => {
    const stored = await cli(['secrets', 'set', 'prod-db'], `${SECRET}\n`);
    expect(stored.status, stored.stderr).toBe(0);
    expect(stored.stderr).toMatch(/No OS keychain here .*encrypted file .*secrets\.vault/);
    expect(stored.stdout + stored.stderr).not.toContain(SECRET);
    expect(readFileSync(join(home, '.isotyp', 'secrets.vault'), 'utf8')).not.toContain(SECRET);

    const got = await cli(['secrets', 'get', 'prod-db']);
    expect(got.stdout).toBe(`${SECRET}\n`);
    const json = JSON.parse((await cli(['secrets', 'get', 'prod-db', '--json'])).stdout);
    expect(json).toEqual({ name: 'prod-db', backend: 'file', value: SECRET });

    const removed = JSON.parse((await cli(['secrets', 'rm', 'prod-db', '--json'])).stdout);
    expect(removed).toEqual({ name: 'prod-db', removed: true });
    const missing = await cli(['secrets', 'get', 'prod-db']);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toContain('ISOTYP_NOT_FOUND');
    expect(missing.stderr).toContain('isotyp secrets set prod-db');
  });

  it('connects with a password named in the target URL, and never shows it', async () => {
    await cli(['secrets', 'set', 'local-pg'], SECRET);
    const url = new URL(postgresServerUrl());
    url.searchParams.set('password', 'keychain:local-pg');
    const inspected = await cli(['inspect', '--target', url.toString(), '--json']);
    expect(inspected.status, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).target).toContain(':***@');
    expect(inspected.stdout + inspected.stderr).not.toContain(SECRET);
    url.searchParams.set('password', 'keychain:no-such-secret');
    const unknown = await cli(['inspect', '--target', url.toString()]);
    expect(unknown.status).toBe(66);
    expect(unknown.stderr).toContain('No secret "no-such-secret"');
  });

  it('refuses to keep a secret in the clear when there is neither a keychain nor a vault key', async () => {
    const bare = await runCliAsync(['secrets', 'set', 'x'], { home: scratchHome(), input: 'value' });
    expect(bare.status).toBe(78);
    expect(bare.stderr).toContain('ISOTYP_CONFIG_INVALID');
    expect(bare.stderr).toContain('ISOTYP_VAULT_KEY');
    const badName = await cli(['secrets', 'set', '../../etc/passwd'], 'value');
    expect(badName.status).toBe(65);
  });
});
