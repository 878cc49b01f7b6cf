import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { connect } from './connection.js';
import { normalizeServer, type Session, SessionFile } from './session.js';

const home = () => join(mkdtempSync(join(tmpdir(), 'isotyp-session-')), 'home');

const session: Session = {
  server: 'https://cp.example.test',
  accessToken: 'at_secret_access',
  refreshToken: 'rt_secret_refresh',
  expiresAt: '2030-01-01T00:00:00.000Z',
  org: 'acme',
  email: 'ana@acme.test',
};

function thrown(fn: () => unknown): IsotypError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IsotypError) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}

describe('SessionFile', () => {
  it('writes $ISOTYP_HOME/session.json with mode 0600 in a 0700 directory, atomically', () => {
    const dir = home();
    const file = new SessionFile(dir);
    expect(file.read()).toBeUndefined();
    file.write(session);
    expect(file.path).toBe(join(dir, 'session.json'));
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(file.read()).toEqual(session);
    file.write({ ...session, accessToken: 'at_next' });
    expect(file.read()?.accessToken).toBe('at_next');
    // No temporary file is left beside it.
    expect(readdirSync(dir)).toEqual(['session.json']);
    expect(file.delete()).toBe(true);
    expect(file.read()).toBeUndefined();
    expect(file.delete()).toBe(false);
  });

  it('refuses a damaged file without echoing its content', () => {
    const dir = home();
    const file = new SessionFile(dir);
    file.write(session);
    writeFileSync(file.path, '{"refreshToken": "rt_secret_refresh", "server": 3}');
    const error = thrown(() => file.read());
    expect(error.code).toBe('ISOTYP_CONFIG_INVALID');
    expect(JSON.stringify(error.toJSON())).not.toContain('rt_secret_refresh');
  });

  it('serialises refreshes with a lock file and removes it afterwards', async () => {
    const dir = home();
    const file = new SessionFile(dir);
    const order: string[] = [];
    const slow = file.withLock(async () => {
      order.push('a:start');
      await new Promise((resolve) => setTimeout(resolve, 100));
      order.push('a:end');
    });
    const fast = file.withLock(async () => {
      order.push('b');
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a:start', 'a:end', 'b']);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('normalizeServer', () => {
  it('keeps origin and path, drops a trailing slash', () => {
    expect(normalizeServer('https://cp.example.test/')).toBe('https://cp.example.test');
    expect(normalizeServer('http://127.0.0.1:8080/isotyp/')).toBe('http://127.0.0.1:8080/isotyp');
  });

  it('refuses credentials in the URL without repeating them', () => {
    const error = thrown(() => normalizeServer('https://ana:hunter2@cp.example.test'));
    expect(error.code).toBe('ISOTYP_USAGE');
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
    expect(thrown(() => normalizeServer('ftp://cp.example.test')).code).toBe('ISOTYP_USAGE');
    expect(thrown(() => normalizeServer('not a url')).code).toBe('ISOTYP_USAGE');
  });
});

describe('connect', () => {
  it('uses ISOTYP_TOKEN as the bearer without any session file', () => {
    const dir = home();
    const client = connect({
      server: 'https://cp.example.test/',
      env: { ISOTYP_HOME: dir, ISOTYP_TOKEN: 'isotyp_ci_abc' },
    });
    expect(client.server).toBe('https://cp.example.test');
    expect(client.credentials).toEqual({ kind: 'token', token: 'isotyp_ci_abc' });
    expect(() => statSync(join(dir, 'session.json'))).toThrow();
  });

  it('needs a server for a CI token', () => {
    const error = thrown(() => connect({ env: { ISOTYP_HOME: home(), ISOTYP_TOKEN: 'isotyp_ci_abc' } }));
    expect(error.code).toBe('ISOTYP_CONFIG_INVALID');
    expect(error.hint).toContain('ISOTYP_SERVER');
  });

  it('uses the session, for its own server only', () => {
    const dir = home();
    new SessionFile(dir).write(session);
    const client = connect({ env: { ISOTYP_HOME: dir } });
    expect(client.server).toBe(session.server);
    expect(client.credentials.kind).toBe('session');
    const other = thrown(() => connect({ server: 'https://other.example.test', env: { ISOTYP_HOME: dir } }));
    expect(other.code).toBe('ISOTYP_NOT_SIGNED_IN');
    expect(other.hint).toContain('isotyp login --server https://other.example.test');
  });

  it('says how to sign in when there is no session', () => {
    const error = thrown(() => connect({ env: { ISOTYP_HOME: home() } }));
    expect(error.code).toBe('ISOTYP_NOT_SIGNED_IN');
    expect(error.exitCode).toBe(77);
    expect(error.hint).toContain('isotyp login');
  });
});
