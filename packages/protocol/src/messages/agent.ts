import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { toHex } from '../encoding.js';
import { type Envelope, sealEnvelope } from '../envelope.js';
import { type Ed25519KeyPair, encodePublicKey, keyId, keyIdSchema } from '../signature.js';
import { publicKeyTextSchema } from './trust.js';

export const AGENT_IDENTITY_ENVELOPE_TYPE = 'isotyp.agent-identity';

/**
 * Payload of the envelope an agent signs with its own Ed25519 identity key when it enrols:
 * proof that it holds the private half of the key the control plane records for it.
 */
export const agentIdentitySchema = z.strictObject({
  keyId: keyIdSchema,
  publicKey: publicKeyTextSchema,
  /** The enrolment token's digest (`sha256:` hex), binding the proof to one enrolment. */
  enrolment: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
export type AgentIdentity = z.infer<typeof agentIdentitySchema>;

/**
 * The digest of an enrolment token (`sha256:` hex of its UTF-8): what the control plane stores of
 * the token, and what an agent's identity proof names to bind itself to it.
 */
export function enrolmentDigest(token: string): string {
  return `sha256:${toHex(sha256(new TextEncoder().encode(token)))}`;
}

/**
 * What an agent sends with its enrolment `token`: its Ed25519 identity, proven by a signature of
 * the identity key itself and bound to that one token.
 *
 * @example
 * const proof = sealAgentIdentity(token, generateKeyPair()); // POST /v1/agents/enroll { identity: proof, … }
 */
export function sealAgentIdentity(token: string, identity: Ed25519KeyPair): Envelope<AgentIdentity> {
  return sealEnvelope({
    type: AGENT_IDENTITY_ENVELOPE_TYPE,
    payload: {
      keyId: keyId(identity.publicKey),
      publicKey: encodePublicKey(identity.publicKey),
      enrolment: enrolmentDigest(token),
    },
    secretKey: identity.secretKey,
  });
}

/** Agent enrolment tokens: `isotyp_enrol_` and 43 base64url characters (32 random bytes). */
export const ENROLMENT_TOKEN_PATTERN = /^isotyp_enrol_[A-Za-z0-9_-]{43}$/;

export const RELEASE_MANIFEST_ENVELOPE_TYPE = 'isotyp.release-manifest';

/**
 * What a build of Isotyp consists of: every file the agent runs (relative path → `sha256:` hex of
 * its bytes), signed by a release key. `development` builds are signed by a key made on the
 * building machine, which nothing trusts unless told to.
 */
export const releaseManifestSchema = z.strictObject({
  name: z.literal('isotyp'),
  version: z.string().max(64),
  channel: z.enum(['release', 'development']),
  builtAt: z.string().max(40),
  files: z.record(z.string().max(512), z.string().regex(/^sha256:[0-9a-f]{64}$/)),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
