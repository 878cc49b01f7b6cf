import { describe, expect, it } from 'vitest';
import type { RefreshTokenRecord } from '../store.js';
import { at, rejectsWith, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

export function identityCases(store: CurrentStore): void {
  describe('orgs and users', () => {
    it('creates, reads and lists organisations; a taken id is a conflict', async () => {
      await store().orgs.create({ id: 'org_b', name: 'B', createdAt: at(5) });
      await store().orgs.create({ id: 'org_a', name: 'A', createdAt: at(1) });
      expect(await store().orgs.get('org_a')).toEqual({ id: 'org_a', name: 'A', createdAt: at(1) });
      expect(await store().orgs.get('org_zzz')).toBeUndefined();
      expect((await store().orgs.list()).map((o) => o.id)).toEqual(['org_a', 'org_b']);
      await rejectsWith(store().orgs.create({ id: 'org_a', name: 'again', createdAt: at(9) }), 'ISOTYP_CONFLICT');
    });

    it('round-trips a user, leaving absent fields absent, and finds it by email in any case', async () => {
      const seed = await seedOrg(store());
      const user = await store().users.get(seed.orgId, seed.userId);
      expect(user).toStrictEqual({
        id: seed.userId,
        orgId: seed.orgId,
        email: 'ada@acme.test',
        displayName: 'Ada',
        disabled: false,
        createdAt: at(1),
      });
      await store().users.create({
        id: 'usr_oidc',
        orgId: seed.orgId,
        email: 'Grace@ACME.test',
        displayName: 'Grace',
        oidcIssuer: 'https://idp.test',
        oidcSubject: 'sub-1',
        disabled: true,
        createdAt: at(2),
      });
      expect(await store().users.byEmail(seed.orgId, 'GRACE@acme.TEST')).toMatchObject({
        id: 'usr_oidc',
        email: 'grace@acme.test',
        disabled: true,
      });
      expect((await store().users.byOidc('https://idp.test', 'sub-1'))?.id).toBe('usr_oidc');
      expect(await store().users.byOidc('https://idp.test', 'sub-2')).toBeUndefined();
      expect((await store().users.list(seed.orgId)).map((u) => u.id)).toEqual([seed.userId, 'usr_oidc']);
    });

    it('refuses a taken email or OIDC identity in an organisation, not across organisations', async () => {
      const a = await seedOrg(store(), 'a');
      const b = await seedOrg(store(), 'b');
      const base = { displayName: 'X', disabled: false, createdAt: at(5) };
      await rejectsWith(
        store().users.create({ ...base, id: 'usr_dup', orgId: a.orgId, email: 'ADA@a.test' }),
        'ISOTYP_CONFLICT',
      );
      await store().users.create({ ...base, id: 'usr_other', orgId: b.orgId, email: 'ada@a.test' });
      const oidc = { oidcIssuer: 'https://idp.test', oidcSubject: 'same' };
      await store().users.create({ ...base, ...oidc, id: 'usr_o1', orgId: a.orgId, email: 'o1@a.test' });
      await rejectsWith(
        store().users.create({ ...base, ...oidc, id: 'usr_o2', orgId: b.orgId, email: 'o2@b.test' }),
        'ISOTYP_CONFLICT',
      );
    });

    it('sets a password hash only on the organisation’s own user', async () => {
      const a = await seedOrg(store(), 'a');
      const b = await seedOrg(store(), 'b');
      await store().users.setPasswordHash(a.orgId, a.userId, 'scrypt$1$2$3$salt$hash');
      expect((await store().users.get(a.orgId, a.userId))?.passwordHash).toBe('scrypt$1$2$3$salt$hash');
      await rejectsWith(store().users.setPasswordHash(a.orgId, b.userId, 'stolen'), 'ISOTYP_NOT_FOUND');
      expect((await store().users.get(b.orgId, b.userId))?.passwordHash).toBeUndefined();
      expect(await store().users.get(a.orgId, b.userId)).toBeUndefined();
      expect(await store().users.byEmail(a.orgId, 'ada@b.test')).toBeUndefined();
    });

    it('disables and enables only the organisation’s own user', async () => {
      const a = await seedOrg(store(), 'a');
      const b = await seedOrg(store(), 'b');
      expect(await store().users.setDisabled(a.orgId, a.userId, true)).toBe(true);
      expect((await store().users.get(a.orgId, a.userId))?.disabled).toBe(true);
      expect(await store().users.setDisabled(a.orgId, b.userId, true)).toBe(false);
      expect((await store().users.get(b.orgId, b.userId))?.disabled).toBe(false);
      expect(await store().users.setDisabled(a.orgId, a.userId, false)).toBe(true);
      expect((await store().users.get(a.orgId, a.userId))?.disabled).toBe(false);
    });
  });

  describe('grants', () => {
    it('round-trips all three scopes, lists per user and deletes within the organisation only', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const grant = { orgId: s.orgId, userId: s.userId, createdAt: at(5) };
      await store().grants.create({ ...grant, id: 'g1', role: 'admin', scope: { kind: 'org' } });
      await store().grants.create({
        ...grant,
        id: 'g2',
        role: 'dba',
        scope: { kind: 'project', projectId: s.projectId },
      });
      const envScope = { kind: 'environment' as const, projectId: s.projectId, environmentId: s.environmentId };
      await store().grants.create({ ...grant, id: 'g3', role: 'approver', scope: envScope });
      expect(await store().grants.forUser(s.orgId, s.userId)).toEqual([
        { ...grant, id: 'g1', role: 'admin', scope: { kind: 'org' } },
        { ...grant, id: 'g2', role: 'dba', scope: { kind: 'project', projectId: s.projectId } },
        { ...grant, id: 'g3', role: 'approver', scope: envScope },
      ]);
      expect(await store().grants.list(other.orgId)).toEqual([]);
      expect(await store().grants.delete(other.orgId, 'g1')).toBe(false);
      expect(await store().grants.delete(s.orgId, 'g1')).toBe(true);
      expect(await store().grants.delete(s.orgId, 'g1')).toBe(false);
      expect((await store().grants.list(s.orgId)).map((g) => g.id)).toEqual(['g2', 'g3']);
    });

    it('stores a role at one scope once: the same grant again is not stored, another scope is', async () => {
      const s = await seedOrg(store());
      const grant = { orgId: s.orgId, userId: s.userId, role: 'dba' as const, createdAt: at(5) };
      const project = { kind: 'project' as const, projectId: s.projectId };
      const env = { ...project, kind: 'environment' as const, environmentId: s.environmentId };
      for (const [id, scope] of [
        ['g1', { kind: 'org' as const }],
        ['g2', project],
        ['g3', env],
      ] as const) {
        expect(await store().grants.create({ ...grant, id, scope })).toBe(true);
        expect(await store().grants.create({ ...grant, id: `${id}-again`, scope, createdAt: at(6) })).toBe(false);
      }
      expect(await store().grants.create({ ...grant, id: 'g4', role: 'approver', scope: env })).toBe(true);
      expect((await store().grants.forUser(s.orgId, s.userId)).map((g) => g.id)).toEqual(['g1', 'g2', 'g3', 'g4']);
    });

    it('refuses a grant that points into another organisation', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const scope = { kind: 'project' as const, projectId: other.projectId };
      const grant = { id: 'g', orgId: s.orgId, userId: s.userId, role: 'dba' as const, scope, createdAt: at(5) };
      await rejectsWith(store().grants.create(grant), 'ISOTYP_NOT_FOUND');
      await rejectsWith(
        store().grants.create({ ...grant, userId: other.userId, scope: { kind: 'org' } }),
        'ISOTYP_NOT_FOUND',
      );
    });
  });

  describe('refresh tokens', () => {
    const token = (hash: string, familyId: string, orgId: string, userId: string): RefreshTokenRecord => ({
      tokenHash: hash,
      userId,
      orgId,
      familyId,
      expiresAt: at(1000),
      createdAt: at(10),
    });

    it('consumes a token once; a replay revokes the whole family and nothing else', async () => {
      const s = await seedOrg(store());
      await store().refreshTokens.create(token('h1', 'fam1', s.orgId, s.userId));
      await store().refreshTokens.create(token('h2', 'fam1', s.orgId, s.userId));
      await store().refreshTokens.create(token('other', 'fam2', s.orgId, s.userId));
      expect(await store().refreshTokens.consume('h1', at(20))).toEqual({
        token: { ...token('h1', 'fam1', s.orgId, s.userId), usedAt: at(20) },
      });
      expect(await store().refreshTokens.consume('h1', at(30))).toEqual({ reused: true });
      // h2 was never used, but belongs to the compromised family.
      expect(await store().refreshTokens.consume('h2', at(31))).toBeUndefined();
      expect(await store().refreshTokens.consume('other', at(32))).toMatchObject({ token: { tokenHash: 'other' } });
      // A successor issued after the revocation is born revoked.
      await store().refreshTokens.create({ ...token('h3', 'fam1', s.orgId, s.userId), createdAt: at(40) });
      expect(await store().refreshTokens.consume('h3', at(41))).toBeUndefined();
    });

    it('refuses unknown, expired and revoked tokens without calling them reuse', async () => {
      const s = await seedOrg(store());
      await store().refreshTokens.create({ ...token('old', 'f1', s.orgId, s.userId), expiresAt: at(15) });
      await store().refreshTokens.create(token('u1', 'f2', s.orgId, s.userId));
      await store().refreshTokens.create(token('u2', 'f3', s.orgId, s.userId));
      expect(await store().refreshTokens.consume('nope', at(20))).toBeUndefined();
      expect(await store().refreshTokens.consume('old', at(15))).toBeUndefined();
      await store().refreshTokens.revokeForUser(s.userId, at(16));
      expect(await store().refreshTokens.consume('u1', at(17))).toBeUndefined();
      await store().refreshTokens.revokeFamily('f3', at(18));
      expect(await store().refreshTokens.consume('u2', at(19))).toBeUndefined();
    });
  });

  describe('CI tokens and signing keys', () => {
    it('round-trips CI tokens, revokes once per organisation and records use', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const ci = {
        id: 'ci_1',
        orgId: s.orgId,
        name: 'deploy',
        secretHash: 'f'.repeat(64),
        projectId: s.projectId,
        environmentId: s.environmentId,
        actions: ['submit' as const, 'read' as const],
        createdBy: s.userId,
        createdAt: at(5),
        expiresAt: at(500),
      };
      await store().ciTokens.create(ci);
      expect(await store().ciTokens.get(s.orgId, 'ci_1')).toStrictEqual(ci);
      expect(await store().ciTokens.byId('ci_1')).toStrictEqual(ci);
      expect(await store().ciTokens.get(other.orgId, 'ci_1')).toBeUndefined();
      expect(await store().ciTokens.list(other.orgId)).toEqual([]);
      expect(await store().ciTokens.revoke(other.orgId, 'ci_1', at(6))).toBe(false);
      expect(await store().ciTokens.revoke(s.orgId, 'ci_1', at(7))).toBe(true);
      expect(await store().ciTokens.revoke(s.orgId, 'ci_1', at(8))).toBe(true);
      await store().ciTokens.touch('ci_1', at(9));
      expect(await store().ciTokens.get(s.orgId, 'ci_1')).toStrictEqual({ ...ci, revokedAt: at(7), lastUsedAt: at(9) });
    });

    it('lists signing keys newest first and retires a key once', async () => {
      const key = (kid: string, createdAt: string) => ({
        kid,
        publicJwk: `{"kid":"${kid}"}`,
        privateJwk: '{"d":"x"}',
        createdAt,
      });
      await store().signingKeys.add(key('k1', at(1)));
      await store().signingKeys.add(key('k2', at(2)));
      await store().signingKeys.retire('k1', at(3));
      await store().signingKeys.retire('k1', at(4));
      expect(await store().signingKeys.list()).toStrictEqual([
        key('k2', at(2)),
        { ...key('k1', at(1)), retiredAt: at(3) },
      ]);
      await rejectsWith(store().signingKeys.add(key('k1', at(5))), 'ISOTYP_CONFLICT');
      // Resealed only while still what was read: a second replica doing the same changes nothing.
      expect(await store().signingKeys.reseal('k2', '{"d":"x"}', 'sealed:v1:first')).toBe(true);
      expect(await store().signingKeys.reseal('k2', '{"d":"x"}', 'sealed:v1:second')).toBe(false);
      expect((await store().signingKeys.list())[0]?.privateJwk).toBe('sealed:v1:first');
      // Revoking retires a key not retired yet, keeps an earlier retirement, and happens once.
      expect(await store().signingKeys.revoke('k2', at(6))).toBe(true);
      expect(await store().signingKeys.revoke('k1', at(7))).toBe(true);
      expect(await store().signingKeys.revoke('k1', at(8))).toBe(false);
      expect(await store().signingKeys.revoke('k9', at(8))).toBe(false);
      expect(await store().signingKeys.list()).toStrictEqual([
        { ...key('k2', at(2)), privateJwk: 'sealed:v1:first', retiredAt: at(6), revokedAt: at(6) },
        { ...key('k1', at(1)), retiredAt: at(3), revokedAt: at(7) },
      ]);
    });
  });
}
