import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';
import { hashRefreshToken, type TokenPair } from './refresh-tokens.js';

describe('refresh tokens', () => {
  let t: IdentityApp;
  beforeAll(async () => {
    t = await identityApp();
  });
  afterAll(() => t.close());

  const signIn = async (): Promise<TokenPair> => {
    const user = await t.store.users.get('acme', t.admin.userId);
    if (user === undefined) throw new Error('admin missing');
    return t.identity.sessions.signIn(user);
  };
  const refresh = (refreshToken: string) => t.call('POST', '/v1/auth/refresh', { body: { refreshToken } });

  it('are opaque, prefixed and stored only as their SHA-256', async () => {
    const pair = await signIn();
    expect(pair.refreshToken).toMatch(/^isotyp_rt_[A-Za-z0-9_-]{43}$/);
    expect(pair.tokenType).toBe('Bearer');
    // The stored hash is what consume finds; the plaintext itself finds nothing.
    expect(await t.store.refreshTokens.consume(pair.refreshToken, t.clock.now().toISOString())).toBeUndefined();
    const consumed = await t.store.refreshTokens.consume(
      hashRefreshToken(pair.refreshToken),
      t.clock.now().toISOString(),
    );
    expect(consumed && 'token' in consumed ? consumed.token.userId : undefined).toBe(t.admin.userId);
  });

  it('rotate: each refresh spends the token and returns a working new pair', async () => {
    const first = await signIn();
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await t.call('GET', '/v1/auth/whoami', { token: second.body.accessToken })).body.userId).toBe(
      t.admin.userId,
    );
    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(200);
  });

  it('reuse of a rotated token revokes the whole family, including the newest token', async () => {
    const stolen = await signIn();
    const legit = await refresh(stolen.refreshToken);
    expect(legit.status).toBe(200);

    const replay = await refresh(stolen.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    expect(replay.body.error.message).toMatch(/already used/);

    const afterRevocation = await refresh(legit.body.refreshToken);
    expect(afterRevocation.status).toBe(401);
  });

  it('families are independent: reuse in one session leaves another session alive', async () => {
    const laptop = await signIn();
    const phone = await signIn();
    await refresh(laptop.refreshToken);
    await refresh(laptop.refreshToken);
    expect((await refresh(phone.refreshToken)).status).toBe(200);
  });

  it('logout ends the session: the token and its successors stop working, and logging out twice is fine', async () => {
    const first = await signIn();
    const second = (await refresh(first.refreshToken)).body as TokenPair;
    const out = await t.call('POST', '/v1/auth/logout', { body: { refreshToken: second.refreshToken } });
    expect(out.status).toBe(204);
    expect((await refresh(second.refreshToken)).status).toBe(401);
    expect((await t.call('POST', '/v1/auth/logout', { body: { refreshToken: second.refreshToken } })).status).toBe(204);
    expect((await t.call('POST', '/v1/auth/logout', { body: { refreshToken: 'nonsense' } })).status).toBe(204);
  });

  it('expire after refreshTokenSeconds', async () => {
    const pair = await signIn();
    t.clock.advance((t.config.refreshTokenSeconds + 1) * 1000);
    try {
      const response = await refresh(pair.refreshToken);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    } finally {
      t.clock.advance(-(t.config.refreshTokenSeconds + 1) * 1000);
    }
  });

  it('refuses malformed tokens and access tokens presented as refresh tokens', async () => {
    const pair = await signIn();
    for (const refreshToken of ['isotyp_rt_short', pair.accessToken.slice(0, 200), `${pair.refreshToken}x`]) {
      const response = await refresh(refreshToken);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
    }
    // Still unspent: the refusals above did not touch the real token.
    expect((await refresh(pair.refreshToken)).status).toBe(200);
  });

  it('cannot be used as a Bearer credential', async () => {
    const pair = await signIn();
    const response = await t.call('GET', '/v1/auth/whoami', { token: pair.refreshToken });
    expect(response.status).toBe(401);
    expect(response.body.error.hint).toMatch(/refresh/);
  });
});
