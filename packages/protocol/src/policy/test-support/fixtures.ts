// biome-ignore lint/style/noRestrictedImports: a test-only helper (excluded from the build) using its own package.
import * as protocol from '../../index.js';

type ApprovalDraft = protocol.ApprovalDraft;
type Ed25519KeyPair = protocol.Ed25519KeyPair;
type Envelope<T extends protocol.JsonValue> = protocol.Envelope<T>;
type Role = protocol.Role;
const { changeFacts, digest, encodePublicKey, generateKeyPair, keyId, signApproval } = protocol;

/** A realistic organisation for policy tests: a root key, six people, a three-layer policy. */

export const now = new Date('2026-03-01T12:00:00.000Z');
export const hour = 3600 * 1000;

export function orgRootOf(keys: Ed25519KeyPair, org = 'acme'): protocol.OrgRoot {
  return { org, keyId: keyId(keys.publicKey), publicKey: encodePublicKey(keys.publicKey) };
}

export const root = generateKeyPair();
export const orgRoot = orgRootOf(root);

interface Person {
  userId: string;
  keys: Ed25519KeyPair;
  roles: Role[];
}
const person = (userId: string, roles: Role[]): Person => ({ userId, keys: generateKeyPair(), roles });

export const people = {
  alice: person('alice', ['approver', 'dba']), // the author
  bob: person('bob', ['dba']),
  carol: person('carol', ['approver']),
  dave: person('dave', ['approver']),
  erin: person('erin', ['approver', 'dba']),
  vic: person('vic', ['viewer']),
};
/** carol's second key (say, her browser): one person, two keys. */
export const carolBrowser: Person = { ...people.carol, keys: generateKeyPair() };

export const keyring: protocol.Keyring = {
  org: 'acme',
  version: 1,
  keys: [...Object.values(people), carolBrowser].map(({ userId, keys, roles }) => ({
    keyId: keyId(keys.publicKey),
    publicKey: encodePublicKey(keys.publicKey),
    userId,
    roles,
  })),
};

export const policy: protocol.Policy = {
  org: 'acme',
  version: 3,
  maxApprovalSeconds: 2 * 24 * 3600,
  layers: [
    { name: 'review', required: 1, role: 'approver' },
    { name: 'dba', when: 'change.dataLoss || change.bump == "major"', required: 1, role: 'dba' },
    { name: 'prod', when: 'environment.name == "prod"', required: 2, role: 'approver' },
  ],
};

export const manifest: protocol.Manifest = {
  mode: 'structure',
  opCount: 2,
  actions: { 'drop-column': 1, 'add-index': 1 },
  risk: 'destructive',
  dataLoss: true,
  nonTransactional: false,
  objects: [
    { kind: 'column', namespace: 'public', name: 'legacy_flag', action: 'drop-column' },
    { kind: 'index', namespace: 'public', name: 'orders_by_day', action: 'add-index' },
  ],
};

export const prod: protocol.EnvironmentFacts = {
  id: 'env_prod',
  name: 'prod',
  privacyMode: 'structure',
  project: 'shop',
};
export const dev: protocol.EnvironmentFacts = { id: 'env_dev', name: 'dev', privacyMode: 'structure', project: 'shop' };

export const change = {
  changeId: 'chg_01',
  targetId: 'tgt_orders',
  planDigest: digest('plan', { ops: ['ALTER TABLE orders DROP COLUMN legacy_flag'] }),
  facts: changeFacts(manifest, [{ rule: 'destructive/drop-column', severity: 'warning' }], 'major'),
};

export const context: protocol.ReviewContext = {
  change,
  environment: prod,
  policy,
  keyring,
  authorUserId: 'alice',
  now,
};

/** A valid approval by `who` for `layer`, signed an hour ago, expiring in a day. */
export function approve(
  who: Person,
  layer: string,
  overrides: Partial<ApprovalDraft> = {},
  createdAt = new Date(now.getTime() - hour),
): Envelope<protocol.ApprovalPayload> {
  return signApproval(
    {
      changeId: change.changeId,
      targetId: change.targetId,
      planDigest: change.planDigest,
      policyVersion: policy.version,
      layer,
      decision: 'approve',
      expiresAt: new Date(now.getTime() + 24 * hour).toISOString(),
      ...overrides,
    },
    who.keys.secretKey,
    { createdAt },
  );
}

/** A complete, valid set: erin reviews, bob for the DBAs, carol and dave for prod. */
export function fullSet(): Envelope<protocol.ApprovalPayload>[] {
  return [
    approve(people.erin, 'review'),
    approve(people.bob, 'dba'),
    approve(people.carol, 'prod'),
    approve(people.dave, 'prod'),
  ];
}
