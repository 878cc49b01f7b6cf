import { IsotypError, KEY_REGISTRATION_ENVELOPE_TYPE, type KeyRegistration, sealEnvelope } from '@isotyp/protocol';
import { z } from 'zod';
import { type Whoami, whoami } from './auth.js';
import type { ControlPlaneClient } from './client.js';
import { createKey, type LocalKey, loadKey, type SecretStore } from './keystore.js';

export const approverKeySchema = z.object({
  keyId: z.string(),
  userId: z.string(),
  publicKey: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApproverKey = z.infer<typeof approverKeySchema>;

export async function listKeys(client: ControlPlaneClient): Promise<ApproverKey[]> {
  return (await client.get('/v1/keys', z.object({ keys: z.array(approverKeySchema) }))).keys;
}

/** The signed-in person, or ISOTYP_FORBIDDEN for a CI token. */
export async function requireUser(client: ControlPlaneClient): Promise<Whoami & { userId: string }> {
  const me = await whoami(client);
  if (me.kind !== 'user' || me.userId === undefined) {
    throw new IsotypError('ISOTYP_FORBIDDEN', 'This needs a person signed in, not a CI token.', {
      hint: 'Unset ISOTYP_TOKEN and sign in with isotyp login.',
    });
  }
  return { ...me, userId: me.userId };
}

export interface GeneratedKey {
  keyId: string;
  publicKey: string;
  userId: string;
  /** True when a key already on this machine (never registered) was registered now. */
  resumed: boolean;
}

/**
 * Creates the approver key on this machine and registers its public half, in an envelope the key
 * signs itself (proof of possession). A key left by an earlier run whose registration failed is
 * registered instead of replaced; a key that is already registered needs `force` to be replaced.
 *
 * @example
 * const { keyId } = await generateApproverKey(client, secretStore(), { force: false });
 */
export async function generateApproverKey(
  client: ControlPlaneClient,
  store: SecretStore,
  options: { force: boolean },
): Promise<GeneratedKey> {
  const me = await requireUser(client);
  const existing = options.force ? undefined : await loadKey(store, 'approver');
  if (existing !== undefined) {
    const registered = (await listKeys(client)).find((k) => k.keyId === existing.keyId && k.revokedAt === undefined);
    if (registered !== undefined) {
      throw new IsotypError('ISOTYP_CONFLICT', `Your approver key ${existing.keyId} is already registered.`, {
        hint: 'Pass --force to replace it with a new key (an admin then re-signs the keyring).',
        details: { keyId: existing.keyId },
      });
    }
  }
  const key = existing ?? (await createKey(store, 'approver', { force: options.force }));
  await registerKey(client, me, key);
  return { keyId: key.keyId, publicKey: key.publicKey, userId: me.userId, resumed: existing !== undefined };
}

async function registerKey(client: ControlPlaneClient, me: { orgId: string; userId: string }, key: LocalKey) {
  const payload: KeyRegistration = { org: me.orgId, userId: me.userId, keyId: key.keyId, publicKey: key.publicKey };
  const envelope = sealEnvelope({ type: KEY_REGISTRATION_ENVELOPE_TYPE, payload, secretKey: key.pair.secretKey });
  await client.post('/v1/keys', { envelope }, z.unknown());
}
