import { IsotypError } from '@isotyp/protocol';
import { asc, desc, eq, gt, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import type { Driver } from './driver.js';
import { allOf, first, mapRows } from './query.js';
import { grantValues, toGrant } from './records.js';

type Identity = Pick<Store, 'orgs' | 'users' | 'grants' | 'refreshTokens' | 'ciTokens' | 'signingKeys'>;

/** Organisations, people and their credentials. */
export function identityStore({ tables: t, run }: Driver): Identity {
  const user = (where: SQL) => first(run.select('users', where));
  const ciToken = (where: SQL) => first(run.select('ciTokens', where));
  const revokeTokens = (where: SQL, now: string) =>
    run.update('refreshTokens', { revokedAt: now }, allOf(where, isNull(t.refreshTokens.revokedAt)));
  const grantOrder = { orderBy: [asc(t.roleGrants.createdAt), asc(t.roleGrants.id)] };

  return {
    orgs: {
      create: async (org) => void (await run.insert('orgs', org)),
      get: (id) => first(run.select('orgs', eq(t.orgs.id, id))),
      list: () => run.select('orgs', undefined, { orderBy: [asc(t.orgs.createdAt), asc(t.orgs.id)] }),
    },
    users: {
      // Unique (org, email) and (issuer, subject): a taken one is a unique violation → CONFLICT.
      create: async (u) => void (await run.insert('users', { ...u, email: u.email.toLowerCase() })),
      get: (orgId, id) => user(allOf(eq(t.users.orgId, orgId), eq(t.users.id, id))),
      byEmail: (orgId, email) => user(allOf(eq(t.users.orgId, orgId), eq(t.users.email, email.toLowerCase()))),
      byOidc: (issuer, subject) => user(allOf(eq(t.users.oidcIssuer, issuer), eq(t.users.oidcSubject, subject))),
      list: (orgId) =>
        run.select('users', eq(t.users.orgId, orgId), { orderBy: [asc(t.users.createdAt), asc(t.users.id)] }),
      async setPasswordHash(orgId, id, hash) {
        const where = allOf(eq(t.users.orgId, orgId), eq(t.users.id, id));
        const updated = await run.update('users', { passwordHash: hash }, where);
        // Changing nobody's password silently would let the caller believe it took effect.
        if (updated.length === 0) throw new IsotypError('ISOTYP_NOT_FOUND', `No user ${id} in organisation ${orgId}.`);
      },
      setDisabled: async (orgId, id, disabled) =>
        (await run.update('users', { disabled }, allOf(eq(t.users.orgId, orgId), eq(t.users.id, id)))).length > 0,
    },
    grants: {
      create: (grant) => run.insert('roleGrants', grantValues(grant), 'any'),
      forUser: (orgId, userId) =>
        mapRows(
          run.select('roleGrants', allOf(eq(t.roleGrants.orgId, orgId), eq(t.roleGrants.userId, userId)), grantOrder),
          toGrant,
        ),
      list: (orgId) => mapRows(run.select('roleGrants', eq(t.roleGrants.orgId, orgId), grantOrder), toGrant),
      delete: async (orgId, id) =>
        (await run.delete('roleGrants', allOf(eq(t.roleGrants.orgId, orgId), eq(t.roleGrants.id, id)))) > 0,
    },
    refreshTokens: {
      async create(token) {
        await run.insert('refreshTokens', token);
        // A family revoked for reuse stays revoked: a rotation that raced the revocation must
        // not leave the successor token (possibly the thief's) alive.
        const family = eq(t.refreshTokens.familyId, token.familyId);
        if ((await run.count('refreshTokens', allOf(family, isNotNull(t.refreshTokens.revokedAt)))) > 0) {
          await revokeTokens(eq(t.refreshTokens.tokenHash, token.tokenHash), token.createdAt);
        }
      },
      async consume(tokenHash, now) {
        const byHash = eq(t.refreshTokens.tokenHash, tokenHash);
        // Compare-and-set: of two concurrent rotations only one finds used_at still NULL.
        const usable = allOf(
          byHash,
          isNull(t.refreshTokens.usedAt),
          isNull(t.refreshTokens.revokedAt),
          gt(t.refreshTokens.expiresAt, now),
        );
        const [token] = await run.update('refreshTokens', { usedAt: now }, usable);
        if (token) return { token };
        const existing = await first(run.select('refreshTokens', byHash));
        if (existing?.usedAt === undefined) return undefined;
        await revokeTokens(eq(t.refreshTokens.familyId, existing.familyId), now);
        return { reused: true };
      },
      revokeFamily: async (familyId, now) => void (await revokeTokens(eq(t.refreshTokens.familyId, familyId), now)),
      revokeForUser: async (userId, now) => void (await revokeTokens(eq(t.refreshTokens.userId, userId), now)),
    },
    ciTokens: {
      create: async (token) => void (await run.insert('ciTokens', token)),
      get: (orgId, id) => ciToken(allOf(eq(t.ciTokens.orgId, orgId), eq(t.ciTokens.id, id))),
      byId: (id) => ciToken(eq(t.ciTokens.id, id)),
      list: (orgId) =>
        run.select('ciTokens', eq(t.ciTokens.orgId, orgId), {
          orderBy: [asc(t.ciTokens.createdAt), asc(t.ciTokens.id)],
        }),
      async revoke(orgId, id, now) {
        // Revoking twice keeps the first time: the trail should say when the token stopped working.
        const set = { revokedAt: sql`coalesce(${t.ciTokens.revokedAt}, ${now})` };
        return (
          (await run.update('ciTokens', set, allOf(eq(t.ciTokens.orgId, orgId), eq(t.ciTokens.id, id)))).length > 0
        );
      },
      touch: async (id, now) => void (await run.update('ciTokens', { lastUsedAt: now }, eq(t.ciTokens.id, id))),
    },
    signingKeys: {
      add: async (key) => void (await run.insert('signingKeys', key)),
      list: () =>
        run.select('signingKeys', undefined, { orderBy: [desc(t.signingKeys.createdAt), desc(t.signingKeys.kid)] }),
      async reseal(kid, from, to) {
        const where = allOf(eq(t.signingKeys.kid, kid), eq(t.signingKeys.privateJwk, from));
        return (await run.update('signingKeys', { privateJwk: to }, where)).length > 0;
      },
      async retire(kid, now) {
        const set = { retiredAt: sql`coalesce(${t.signingKeys.retiredAt}, ${now})` };
        await run.update('signingKeys', set, eq(t.signingKeys.kid, kid));
      },
      async revoke(kid, now) {
        const set = { retiredAt: sql`coalesce(${t.signingKeys.retiredAt}, ${now})`, revokedAt: now };
        const where = allOf(eq(t.signingKeys.kid, kid), isNull(t.signingKeys.revokedAt));
        return (await run.update('signingKeys', set, where)).length > 0;
      },
    },
  };
}
