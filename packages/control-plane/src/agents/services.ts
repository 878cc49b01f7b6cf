import { IsotypError } from '@isotyp/protocol';
import type { AppDeps } from '../app.js';
import { ReadCache } from '../storage/read-cache.js';
import { trustState } from './certificate-authority.js';
import { HeartbeatBuffer } from './heartbeat-buffer.js';

/**
 * What the agent routes share: the buffer heartbeats wait in, and which CAs count right now
 * (see trustState) — kept until a CA is made or retired (here or on another replica), or its
 * overlap ends.
 */
export function agentServices(deps: AppDeps) {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const heartbeats = new HeartbeatBuffer(store, deps.logger);
  deps.onClose?.(() => heartbeats.close());
  const passphrase = () => {
    if (config.caPassphrase === undefined) {
      throw new IsotypError('ISOTYP_CONFIG_INVALID', 'This control plane has no CA passphrase: agents cannot enrol.', {
        hint: 'Start it with ISOTYP_CA_PASSPHRASE set (at least 16 characters), kept like any other server secret.',
      });
    }
    return config.caPassphrase;
  };
  const trustCache = new ReadCache<Awaited<ReturnType<typeof trustState>>>(store, {
    tables: ['certificateAuthorities'],
    max: 1,
    validUntil: (trust) => trust.overlapUntil?.getTime() ?? Number.POSITIVE_INFINITY,
    now: () => now().getTime(),
  });
  const trust = () => {
    const secret = passphrase();
    return trustCache.get('trust', () => trustState(store, secret, now(), config.caOverlapSeconds));
  };
  return { heartbeats, passphrase, trust, ca: async () => (await trust()).issuing };
}

export type AgentServices = ReturnType<typeof agentServices>;
