import { readFileSync } from 'node:fs';
import {
  IsotypError,
  isIsotypError,
  type Keyring,
  type KeyringEntry,
  ORG_ROOT_ENVELOPE_TYPE,
  type OrgRoot,
  orgRootSchema,
  type Policy,
  type PolicyLayer,
  policyLayerSchema,
  type Role,
  roles,
  sealEnvelope,
  sealKeyring,
  sealPolicy,
  validatePolicy,
} from '@isotyp/protocol';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { grantSchema } from './auth.js';
import type { ControlPlaneClient } from './client.js';
import { listKeys, requireUser } from './keys.js';
import { createKey, type LocalKey, loadKey, type SecretStore } from './keystore.js';

/**
 * The policy `isotyp org init` publishes when no --policy is given: one reviewer for every
 * change, plus a DBA when data may be lost or the schema version takes a major bump.
 */
export const DEFAULT_POLICY_LAYERS: PolicyLayer[] = [
  { name: 'review', required: 1, role: 'approver' },
  { name: 'dba', when: 'change.dataLoss || change.bump == "major"', required: 1, role: 'dba' },
];

const trustDocumentSchema = z.object({
  kind: z.enum(['root', 'keyring', 'policy']),
  version: z.number().int(),
  document: z.object({ payload: z.unknown() }).passthrough(),
  createdAt: z.string(),
});
type TrustKind = z.infer<typeof trustDocumentSchema>['kind'];

const usersSchema = z.object({
  users: z.array(
    z.object({ id: z.string(), email: z.string(), disabled: z.boolean().default(false), grants: z.array(grantSchema) }),
  ),
});

/** The latest version of a trust document, or undefined when there is none yet. */
export async function latestTrust(client: ControlPlaneClient, kind: TrustKind, version?: number) {
  try {
    return await client.get(`/v1/trust/${kind}`, trustDocumentSchema, version === undefined ? {} : { version });
  } catch (error) {
    if (isIsotypError(error) && error.code === 'ISOTYP_NOT_FOUND') return undefined;
    throw error;
  }
}

export interface KeyringSummary {
  version: number;
  keys: KeyringEntry[];
  /** Registered keys left out because their owner holds no organisation-wide role. */
  skipped: { keyId: string; userId: string }[];
}

export interface OrgInitResult {
  org: string;
  root: { keyId: string; publicKey: string; created: boolean; registered: boolean };
  keyring: KeyringSummary | { version: number; existing: true };
  policy: { version: number; layers: PolicyLayer[] } | { version: number; existing: true };
}

/**
 * Sets up an organisation's trust: the org-root key (made here, kept in the secret store and
 * registered with a self-signed envelope), keyring v1 from the registered approver keys, and
 * policy v1. Steps already done (by an earlier, interrupted run) are kept, so it can be re-run.
 */
export async function initOrg(
  client: ControlPlaneClient,
  store: SecretStore,
  options: { policyFile?: string | undefined; force: boolean },
): Promise<OrgInitResult> {
  const me = await requireUser(client);
  const policyInput = options.policyFile === undefined ? undefined : readPolicyFile(options.policyFile);
  // Refuse a bad policy (e.g. a condition that does not compile) before anything is registered.
  if (policyInput !== undefined) validatePolicy({ org: me.orgId, version: 1, ...policyInput });
  const registered = await latestTrust(client, 'root');
  let root: LocalKey;
  let created = false;
  if (registered !== undefined) {
    root = await matchingRoot(store, registered.document.payload);
  } else {
    const existing = options.force ? undefined : await loadKey(store, 'org-root');
    created = existing === undefined;
    root = existing ?? (await createKey(store, 'org-root', { force: options.force }));
    const payload: OrgRoot = { org: me.orgId, keyId: root.keyId, publicKey: root.publicKey };
    const envelope = sealEnvelope({ type: ORG_ROOT_ENVELOPE_TYPE, payload, secretKey: root.pair.secretKey });
    await client.post('/v1/trust/root', { envelope }, z.unknown());
  }
  const currentKeyring = await latestTrust(client, 'keyring');
  const keyring = currentKeyring === undefined ? await publishKeyring(client, root, me.orgId, 1) : undefined;
  const currentPolicy = await latestTrust(client, 'policy');
  if (currentPolicy !== undefined && policyInput !== undefined) {
    throw new IsotypError('ISOTYP_CONFLICT', `The organisation already has policy v${currentPolicy.version}.`, {
      hint: 'Publish a new version with isotyp org set-policy --file FILE.',
    });
  }
  const policy =
    currentPolicy === undefined
      ? await publishPolicy(client, root, {
          org: me.orgId,
          version: 1,
          ...(policyInput ?? { layers: DEFAULT_POLICY_LAYERS }),
        })
      : undefined;
  return {
    org: me.orgId,
    root: { keyId: root.keyId, publicKey: root.publicKey, created, registered: registered === undefined },
    keyring: keyring ?? { version: currentKeyring?.version ?? 0, existing: true },
    policy: policy ?? { version: currentPolicy?.version ?? 0, existing: true },
  };
}

/** Re-signs the keyring from the keys registered now: version = latest + 1. */
export async function signKeyring(client: ControlPlaneClient, store: SecretStore): Promise<KeyringSummary> {
  const me = await requireUser(client);
  const root = await registeredRoot(client, store);
  const latest = await latestTrust(client, 'keyring');
  return publishKeyring(client, root, me.orgId, (latest?.version ?? 0) + 1);
}

/** Publishes the policy in `file` as version latest + 1. */
export async function setPolicy(client: ControlPlaneClient, store: SecretStore, file: string) {
  const me = await requireUser(client);
  const input = readPolicyFile(file);
  const root = await registeredRoot(client, store);
  const latest = await latestTrust(client, 'policy');
  return publishPolicy(client, root, { org: me.orgId, version: (latest?.version ?? 0) + 1, ...input });
}

const policyFileSchema = z.strictObject({
  layers: z.array(policyLayerSchema).min(1),
  maxApprovalSeconds: z.number().int().optional(),
});

/**
 * A policy file: YAML or JSON with `layers` (and optionally `maxApprovalSeconds`). The org and
 * the version are not written in the file: the CLI fills them in.
 *
 * @example
 * // policy.yaml
 * // layers:
 * //   - { name: review, required: 1, role: approver }
 * //   - { name: dba, when: 'change.dataLoss', required: 1, role: dba }
 */
export function readPolicyFile(path: string): z.infer<typeof policyFileSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', `The policy file ${path} cannot be read.`, {
      hint: 'Pass --policy (or --file) with a YAML or JSON file.',
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new IsotypError('ISOTYP_POLICY_INVALID', `${path} is not valid YAML or JSON.`, {
      hint: 'Example: layers: [{name: review, required: 1, role: approver}]',
      cause: error,
    });
  }
  const parsed = policyFileSchema.safeParse(value);
  if (!parsed.success) {
    throw new IsotypError('ISOTYP_POLICY_INVALID', `${path} is not a valid policy.`, {
      hint: 'Each layer has name, required and role, and optionally a CEL condition `when`; org and version are filled in.',
      details: { issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return parsed.data;
}

async function publishPolicy(client: ControlPlaneClient, root: LocalKey, policy: Policy) {
  const envelope = sealPolicy(policy, root.pair.secretKey);
  await client.post('/v1/trust/policy', { envelope }, z.unknown());
  return { version: policy.version, layers: envelope.payload.layers };
}

async function publishKeyring(
  client: ControlPlaneClient,
  root: LocalKey,
  org: string,
  version: number,
): Promise<KeyringSummary> {
  const [keys, { users }] = await Promise.all([listKeys(client), client.get('/v1/users', usersSchema)]);
  // A disabled user (someone who left) holds no role here: their key leaves the keyring, and
  // agents stop counting their signatures once they have this version.
  const orgRoles = new Map(
    users.map((u) => [
      u.id,
      u.disabled ? [] : roles.filter((r) => u.grants.some((g) => g.role === r && g.scope.kind === 'org')),
    ]),
  );
  const entries: KeyringEntry[] = [];
  const skipped: KeyringSummary['skipped'] = [];
  for (const key of keys) {
    if (key.revokedAt !== undefined) continue;
    const held: Role[] = orgRoles.get(key.userId) ?? [];
    if (held.length === 0) skipped.push({ keyId: key.keyId, userId: key.userId });
    else entries.push({ keyId: key.keyId, publicKey: key.publicKey, userId: key.userId, roles: held });
  }
  const keyring: Keyring = { org, version, keys: entries };
  await client.post('/v1/trust/keyring', { envelope: sealKeyring(keyring, root.pair.secretKey) }, z.unknown());
  return { version, keys: entries, skipped };
}

/** The local org-root key, checked against the one the organisation registered. */
async function registeredRoot(client: ControlPlaneClient, store: SecretStore): Promise<LocalKey> {
  const registered = await latestTrust(client, 'root');
  if (registered === undefined) {
    throw new IsotypError('ISOTYP_TRUST_NOT_INITIALISED', 'This organisation has no root key yet.', {
      hint: 'Run isotyp org init first.',
    });
  }
  return matchingRoot(store, registered.document.payload);
}

async function matchingRoot(store: SecretStore, payload: unknown): Promise<LocalKey> {
  const registered = orgRootSchema.parse(payload);
  const local = await loadKey(store, 'org-root');
  if (local === undefined) {
    throw new IsotypError('ISOTYP_KEY_UNKNOWN', "The organisation's root key is not on this machine.", {
      hint: `Run this where the root key ${registered.keyId} is kept, or restore it from its backup.`,
      details: { registered: registered.keyId },
    });
  }
  if (local.keyId !== registered.keyId) {
    throw new IsotypError(
      'ISOTYP_KEY_INVALID',
      "The org-root key on this machine is not the organisation's root key.",
      {
        hint: `The organisation's root key is ${registered.keyId}; run this where that key is kept.`,
        details: { registered: registered.keyId, local: local.keyId },
      },
    );
  }
  return local;
}
