import { z } from 'zod';
import { keyIdSchema } from '../signature.js';
import { idSchema } from './common.js';

/**
 * The organisation's trust documents: the approver keyring and the approval policy, each an
 * envelope signed by the org root key. Agents are pinned to the root key at enrolment and
 * verify both themselves, so the control plane can store and serve them but not forge them.
 */

export const roles = ['admin', 'approver', 'dba', 'ci', 'agent', 'auditor', 'viewer'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

export const KEYRING_ENVELOPE_TYPE = 'isotyp.keyring';
export const POLICY_ENVELOPE_TYPE = 'isotyp.policy';

/** base64url of a 32-byte Ed25519 public key. */
export const publicKeyTextSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes as base64url');

/** The org root public key, registered once by `isotyp org init`. */
export const orgRootSchema = z.strictObject({
  org: idSchema,
  keyId: keyIdSchema,
  publicKey: publicKeyTextSchema,
});
export type OrgRoot = z.infer<typeof orgRootSchema>;

export const keyringEntrySchema = z.strictObject({
  keyId: keyIdSchema,
  publicKey: publicKeyTextSchema,
  /** The control plane user the key belongs to: separation of duties compares these. */
  userId: idSchema,
  /** Roles the key may sign approvals for. */
  roles: z.array(roleSchema).min(1).max(roles.length),
});
export type KeyringEntry = z.infer<typeof keyringEntrySchema>;

/** Payload of an `isotyp.keyring` envelope. Versions count up from 1 with no gaps. */
export const keyringSchema = z.strictObject({
  org: idSchema,
  version: z.number().int().min(1),
  keys: z.array(keyringEntrySchema).max(1000),
});
export type Keyring = z.infer<typeof keyringSchema>;

export const layerNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*$/, 'expected lower-case letters, digits, _ and -');

export const policyLayerSchema = z.strictObject({
  name: layerNameSchema,
  /**
   * CEL expression over `change` (the manifest, bump, lint) and `environment`; the layer
   * applies when it is true. An empty string never appears: omit `when` for "always".
   */
  when: z.string().min(1).max(4096).optional(),
  /** Distinct approvers needed. */
  required: z.number().int().min(1).max(16),
  /** Role an approver's key must hold in the keyring. */
  role: roleSchema,
});
export type PolicyLayer = z.infer<typeof policyLayerSchema>;

/** Payload of an `isotyp.policy` envelope. Layers are checked in order. */
export const policySchema = z.strictObject({
  org: idSchema,
  version: z.number().int().min(1),
  layers: z.array(policyLayerSchema).min(1).max(16),
  /** Longest an approval may stay valid, in seconds (default 7 days). */
  maxApprovalSeconds: z
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600)
    .optional(),
});
export type Policy = z.infer<typeof policySchema>;

/** `isotyp org init` registers the root key with an envelope the key signs itself (proof of possession). */
export const ORG_ROOT_ENVELOPE_TYPE = 'isotyp.org-root';
export const KEY_REGISTRATION_ENVELOPE_TYPE = 'isotyp.key-registration';

/**
 * An approver key registration (`isotyp keys generate`), signed by the key itself so nobody can
 * register a public key whose private half they do not hold.
 */
export const keyRegistrationSchema = z.strictObject({
  org: idSchema,
  userId: idSchema,
  keyId: keyIdSchema,
  publicKey: publicKeyTextSchema,
});
export type KeyRegistration = z.infer<typeof keyRegistrationSchema>;
