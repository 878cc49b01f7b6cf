import {
  decodePublicKey,
  type Envelope,
  IsotypError,
  type Keyring,
  keyIdSchema,
  type OrgRoot,
  openKeyring,
  openPolicy,
  orgRootSchema,
  type Policy,
  publicKeyTextSchema,
  verifyEnvelope,
} from '@isotyp/protocol';
import { z } from 'zod';
import type { Store } from '../storage/store.js';

/** The org root, or ISOTYP_TRUST_NOT_INITIALISED. */
export async function orgRoot(store: Store, orgId: string): Promise<OrgRoot> {
  const doc = await store.trust.latest(orgId, 'root');
  if (doc === undefined) {
    throw new IsotypError('ISOTYP_TRUST_NOT_INITIALISED', 'This organisation has no root key yet.', {
      hint: 'An admin runs isotyp org init once; it creates the root key and signs the keyring and policy.',
    });
  }
  const envelope = doc.document as unknown as Envelope;
  return orgRootSchema.parse(envelope.payload);
}

const selfNamed = z.object({ keyId: keyIdSchema, publicKey: publicKeyTextSchema }).loose();

/**
 * Opens an envelope signed by the very key its payload names (the root key's and an approver
 * key's registration): proof that the sender holds the private half. `what` names the payload's
 * fields in the error when they are missing.
 */
export function openSelfSigned<S extends z.ZodType<{ keyId: string; publicKey: string }>>(
  raw: unknown,
  type: string,
  payload: S,
  what: string,
): z.output<S> {
  const claimed = selfNamed.safeParse((raw as { payload?: unknown } | null)?.payload);
  if (!claimed.success) throw new IsotypError('ISOTYP_INVALID_INPUT', `The envelope must carry ${what}.`);
  return verifyEnvelope(raw, {
    type,
    keys: new Map([[claimed.data.keyId, decodePublicKey(claimed.data.publicKey)]]),
    payload,
  }).payload;
}

/**
 * Keyrings and policies, once verified against a root, by the exact stored text and root key.
 * Stored documents never change (each version is a new row), so a hit skips the Ed25519 checks
 * that otherwise run on every read of a change; a document edited in the store has other text and
 * is verified afresh, so the store is still not trusted.
 */
const opened = new Map<string, Keyring | Policy>();
const MAX_OPENED = 512;

function memo<T extends Keyring | Policy>(kind: string, document: unknown, root: OrgRoot, open: () => T): T {
  const key = `${kind}\u0000${root.keyId}\u0000${JSON.stringify(document)}`;
  const hit = opened.get(key);
  if (hit !== undefined) return hit as T;
  const value = open();
  if (opened.size >= MAX_OPENED) opened.clear();
  opened.set(key, value);
  return value;
}

/** `openKeyring` of a stored document, remembered by its text. */
export function openStoredKeyring(document: unknown, root: OrgRoot): Keyring {
  return memo('keyring', document, root, () => openKeyring(document as Envelope, root));
}

/** `openPolicy` of a stored document, remembered by its text. */
export function openStoredPolicy(document: unknown, root: OrgRoot): Policy {
  return memo('policy', document, root, () => openPolicy(document as Envelope, root));
}
