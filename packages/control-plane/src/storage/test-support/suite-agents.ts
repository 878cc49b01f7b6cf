import { describe, expect, it } from 'vitest';
import { at, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

export function agentCases(store: CurrentStore): void {
  describe('agents: CA, enrolment tokens, agents', () => {
    const token = (orgId: string, hash: string, expiresAt = at(1800)) => ({
      tokenHash: hash,
      orgId,
      name: 'edge-1',
      createdBy: 'user:usr_acme',
      createdAt: at(0),
      expiresAt,
    });

    it('redeems an enrolment token once, even for 20 redemptions at the same moment', async () => {
      const s = await seedOrg(store());
      await store().enrolmentTokens.create(token(s.orgId, 'a'.repeat(64)));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store().enrolmentTokens.redeem('a'.repeat(64), at(60), `agt_${i}`)),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ usedAt: at(60), orgId: s.orgId, name: 'edge-1' });
      expect(await store().enrolmentTokens.redeem('a'.repeat(64), at(61), 'agt_late')).toBeUndefined();
    });

    it('refuses an expired or unknown token', async () => {
      const s = await seedOrg(store());
      await store().enrolmentTokens.create(token(s.orgId, 'b'.repeat(64), at(100)));
      expect(await store().enrolmentTokens.redeem('b'.repeat(64), at(100), 'agt_1')).toBeUndefined();
      expect(await store().enrolmentTokens.redeem('c'.repeat(64), at(10), 'agt_1')).toBeUndefined();
    });

    it('keeps one active CA: a second with the same id is refused, not replaced', async () => {
      const ca = {
        id: 'ca_1',
        certificatePem: 'CERT',
        encryptedKeyPem: 'KEY',
        createdAt: at(0),
        notAfter: at(86400),
      };
      expect(await store().authorities.active()).toBeUndefined();
      expect(await store().authorities.create(ca)).toBe(true);
      expect(await store().authorities.create({ ...ca, certificatePem: 'OTHER' })).toBe(false);
      expect(await store().authorities.active()).toStrictEqual(ca);
      // A new passphrase re-encrypts the key, only from what it is.
      expect(await store().authorities.rekey('ca_1', 'NOT-THE-KEY', 'KEY-2')).toBe(false);
      expect(await store().authorities.rekey('ca_1', 'KEY', 'KEY-2')).toBe(true);
      expect(await store().authorities.active()).toStrictEqual({ ...ca, encryptedKeyPem: 'KEY-2' });
    });

    it('keeps the latest heartbeat per agent, written many at once', async () => {
      const s = await seedOrg(store());
      const beat = (agentId: string, second: number, version = '1.0.0') => ({
        agentId,
        orgId: s.orgId,
        lastSeenAt: at(second),
        version,
        report: { targets: [{ name: 'orders', n: second }] },
      });
      await store().heartbeats.record([beat('agt_a', 1), beat('agt_b', 2)]);
      await store().heartbeats.record([beat('agt_a', 3, '1.1.0')]);
      await store().heartbeats.record([]);
      const listed = (await store().heartbeats.list(s.orgId)).sort((x, y) => x.agentId.localeCompare(y.agentId));
      expect(listed).toStrictEqual([beat('agt_a', 3, '1.1.0'), beat('agt_b', 2)]);
      expect(await store().heartbeats.list('org_other')).toEqual([]);
    });

    it('lists an organisation’s agents, revokes once, and keeps other tenants apart', async () => {
      const a = await seedOrg(store(), 'acme');
      const b = await seedOrg(store(), 'beta');
      const agent = {
        id: 'agt_1',
        orgId: a.orgId,
        name: 'edge-1',
        identityKeyId: `ed25519:${'x'.repeat(43)}`,
        identityPublicKey: 'y'.repeat(43),
        certificateSerial: '0a1b',
        certificateNotAfter: at(86400),
        createdAt: at(5),
      };
      await store().agents.create(agent);
      await expect(store().agents.create({ ...agent, id: 'agt_2' })).rejects.toMatchObject({ code: 'ISOTYP_CONFLICT' });
      expect(await store().agents.list(a.orgId)).toStrictEqual([agent]);
      expect(await store().agents.list(b.orgId)).toEqual([]);
      expect(await store().agents.get(b.orgId, 'agt_1')).toBeUndefined();
      expect(await store().agents.revoke(a.orgId, 'agt_1', at(10))).toBe(true);
      expect(await store().agents.revoke(a.orgId, 'agt_1', at(20))).toBe(true);
      expect((await store().agents.get(a.orgId, 'agt_1'))?.revokedAt).toBe(at(10));
      expect(await store().agents.revoke(b.orgId, 'agt_1', at(30))).toBe(false);
    });
  });
}
