import { asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import type { Driver } from './driver.js';
import { allOf, first } from './query.js';

type Agents = Pick<Store, 'authorities' | 'enrolmentTokens' | 'agents' | 'heartbeats'>;

/** The agents' CA, enrolment tokens and enrolled agents. */
export function agentStore({ tables: t, run }: Driver): Agents {
  return {
    authorities: {
      active: () =>
        first(
          run.select('certificateAuthorities', isNull(t.certificateAuthorities.retiredAt), {
            orderBy: [desc(t.certificateAuthorities.createdAt), desc(t.certificateAuthorities.id)],
            limit: 1,
          }),
        ),
      create: (ca) => run.insert('certificateAuthorities', ca, [t.certificateAuthorities.id]),
      list: () =>
        run.select('certificateAuthorities', undefined, {
          orderBy: [desc(t.certificateAuthorities.createdAt), desc(t.certificateAuthorities.id)],
        }),
      async retire(id, at) {
        const where = allOf(eq(t.certificateAuthorities.id, id), isNull(t.certificateAuthorities.retiredAt));
        return (await run.update('certificateAuthorities', { retiredAt: at }, where)).length > 0;
      },
      async rekey(id, from, to) {
        const ca = t.certificateAuthorities;
        const where = allOf(eq(ca.id, id), eq(ca.encryptedKeyPem, from));
        return (await run.update('certificateAuthorities', { encryptedKeyPem: to }, where)).length > 0;
      },
    },
    enrolmentTokens: {
      create: async (token) => void (await run.insert('enrolmentTokens', token)),
      async redeem(tokenHash, now, agentId) {
        // One statement: the first redemption sets used_at, every later one matches no row.
        const usable = allOf(
          eq(t.enrolmentTokens.tokenHash, tokenHash),
          isNull(t.enrolmentTokens.usedAt),
          gt(t.enrolmentTokens.expiresAt, now),
        );
        const [token] = await run.update('enrolmentTokens', { usedAt: now, agentId }, usable);
        return token;
      },
    },
    heartbeats: {
      record: (heartbeats) =>
        run.upsert('agentHeartbeats', heartbeats, [t.agentHeartbeats.agentId], ['lastSeenAt', 'version', 'report']),
      list: (orgId) => run.select('agentHeartbeats', eq(t.agentHeartbeats.orgId, orgId)),
    },
    agents: {
      create: async (agent) => void (await run.insert('agents', agent)),
      get: (orgId, id) => first(run.select('agents', allOf(eq(t.agents.orgId, orgId), eq(t.agents.id, id)))),
      list: (orgId) =>
        run.select('agents', eq(t.agents.orgId, orgId), { orderBy: [asc(t.agents.createdAt), asc(t.agents.id)] }),
      async renewCertificate(orgId, id, previousSerial, next) {
        const current = allOf(
          eq(t.agents.orgId, orgId),
          eq(t.agents.id, id),
          eq(t.agents.certificateSerial, previousSerial),
          isNull(t.agents.revokedAt),
        );
        const set = { certificateSerial: next.serial, certificateNotAfter: next.notAfter };
        return (await run.update('agents', set, current)).length > 0;
      },
      async revoke(orgId, id, now) {
        const set = { revokedAt: sql`coalesce(${t.agents.revokedAt}, ${now})` };
        return (await run.update('agents', set, allOf(eq(t.agents.orgId, orgId), eq(t.agents.id, id)))).length > 0;
      },
    },
  };
}
