import { generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens', () => {
  let t: IdentityApp;
  let valid: string;
  let kid: string;
  let key: CryptoKey;
  let claims: JWTPayload;

  beforeAll(async () => {
    t = await identityApp();
    valid = (await t.identity.accessTokens.issue({ userId: t.admin.userId, orgId: 'acme', email: t.admin.email }))
      .token;
    ({ kid, key } = await t.identity.keys.signingKey());
    const iat = Math.floor(t.clock.now().getTime() / 1000);
    claims = {
      iss: 'https://isotyp.test',
      aud: 'https://isotyp.test/v1',
      sub: t.admin.userId,
      org: 'acme',
      email: t.admin.email,
      jti: 'j1',
      iat,
      exp: iat + 300,
    };
  });
  afterAll(() => t.close());

  /** Signs `payload` with the server's own key: only the claims are wrong. */
  const signed = (payload: JWTPayload, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt', ...header }).sign(key);

  it('issues a token with the documented header and claims, and verifies it', async () => {
    const [header, payload] = valid
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'EdDSA', kid, typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: 'https://isotyp.test', aud: 'https://isotyp.test/v1', org: 'acme' });
    expect(payload.exp - payload.iat).toBe(900);
    const verified = await t.identity.accessTokens.verify(valid);
    expect(verified).toMatchObject({ userId: t.admin.userId, orgId: 'acme', email: 'admin@acme.test' });
    expect(verified.jti).toBe(payload.jti);
  });

  it('the claims fixture itself verifies, so each rejection below is down to its one defect', async () => {
    await expect(t.identity.accessTokens.verify(await signed(claims))).resolves.toMatchObject({ orgId: 'acme' });
  });

  const rejected: [string, () => Promise<string>][] = [
    ['alg none', async () => `${b64({ alg: 'none', kid, typ: 'at+jwt' })}.${b64(claims)}.`],
    [
      'HS256 keyed with the public key bytes',
      async () => {
        const jwk = (await t.identity.keys.jwks()).keys.find((k) => k.kid === kid);
        const secret = Buffer.from(String(jwk?.x), 'base64url');
        return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(secret);
      },
    ],
    [
      'HS256 keyed with the public JWK text',
      async () => {
        const jwk = (await t.identity.keys.jwks()).keys.find((k) => k.kid === kid);
        const secret = new TextEncoder().encode(JSON.stringify(jwk));
        return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(secret);
      },
    ],
    ['wrong audience', () => signed({ ...claims, aud: 'https://isotyp.test/v2' })],
    ['wrong issuer', () => signed({ ...claims, iss: 'https://evil.test' })],
    ['exp as a string', () => signed({ ...claims, exp: String(claims.exp) as unknown as number })],
    ['exp of 1e300', () => signed({ ...claims, exp: 1e300 })],
    ['exp beyond iat + 900', () => signed({ ...claims, exp: (claims.iat ?? 0) + 901 })],
    ['no iat', () => signed({ ...claims, iat: undefined })],
    ['iat in the future', () => signed({ ...claims, iat: (claims.iat ?? 0) + 3600, exp: (claims.iat ?? 0) + 3900 })],
    ['no sub', () => signed({ ...claims, sub: undefined })],
    ['no org', () => signed({ ...claims, org: undefined })],
    ['typ JWT instead of at+jwt', () => signed(claims, { typ: 'JWT' })],
    ['no kid', () => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).sign(key)],
    ['unknown kid', () => signed(claims, { kid: 'no-such-key' })],
    [
      'a foreign Ed25519 key claiming our kid',
      async () => {
        const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' }).sign(foreign.privateKey);
      },
    ],
    ['a truncated token', async () => valid.slice(0, -10)],
    ['a token without its signature', async () => valid.split('.').slice(0, 2).join('.')],
    ['a flipped payload byte', async () => valid.replace(/\.(.)/, (_, c: string) => `.${c === 'e' ? 'f' : 'e'}`)],
    ['not a JWT at all', async () => 'hello'],
    ['three empty parts', async () => '..'],
  ];

  it.each(rejected)('rejects %s with ISOTYP_UNAUTHENTICATED, as a 401 over HTTP', async (_name, make) => {
    const token = await make();
    await expect(t.identity.accessTokens.verify(token)).rejects.toMatchObject({ code: 'ISOTYP_UNAUTHENTICATED' });
    const response = await t.call('GET', '/v1/auth/whoami', { token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
  });

  it('answers an expired token with ISOTYP_TOKEN_EXPIRED', async () => {
    const token = await signed({ ...claims, exp: (claims.iat ?? 0) + 60 });
    t.clock.advance(120_000);
    try {
      await expect(t.identity.accessTokens.verify(token)).rejects.toMatchObject({ code: 'ISOTYP_TOKEN_EXPIRED' });
      const response = await t.call('GET', '/v1/auth/whoami', { token });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ISOTYP_TOKEN_EXPIRED');
    } finally {
      t.clock.advance(-120_000);
    }
  });

  it('caps the lifetime at 900 s and below at the configured value', async () => {
    const short = await identityApp({ accessTokenSeconds: 60 });
    try {
      const { token, expiresIn } = await short.identity.accessTokens.issue({ userId: 'u', orgId: 'acme', email: 'e' });
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
      expect(expiresIn).toBe(60);
      expect(payload.exp - payload.iat).toBe(60);
    } finally {
      await short.close();
    }
  });
});
