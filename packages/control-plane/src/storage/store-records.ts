/**
 * The records the store keeps and answers with, one interface per table (see `store.ts` for the
 * contract that reads and writes them). Times are ISO 8601 UTC strings (`Date#toISOString`).
 */
import type {
  ChangeState,
  Dialect,
  JsonValue,
  PrivacyMode,
  Risk,
  Role,
  SuggestionImpact,
  SuggestionKind,
  SuggestionState,
} from '@isotyp/protocol';

export type { Role } from '@isotyp/protocol';

/** Where a role grant applies: the whole organisation, one project, or one environment. */
export type Scope =
  | { kind: 'org' }
  | { kind: 'project'; projectId: string }
  | { kind: 'environment'; projectId: string; environmentId: string };

export interface OrgRecord {
  id: string;
  name: string;
  createdAt: string;
}

export interface UserRecord {
  id: string;
  orgId: string;
  /** Lower-cased; unique per organisation. */
  email: string;
  displayName: string;
  /** `scrypt$N$r$p$salt$hash` (base64url parts); absent for users who sign in with OIDC only. */
  passwordHash?: string;
  /** OIDC issuer and subject, unique together, for users linked to an external provider. */
  oidcIssuer?: string;
  oidcSubject?: string;
  disabled: boolean;
  createdAt: string;
}

export interface RoleGrantRecord {
  id: string;
  orgId: string;
  userId: string;
  role: Role;
  scope: Scope;
  createdAt: string;
}

export interface RefreshTokenRecord {
  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  tokenHash: string;
  userId: string;
  orgId: string;
  /** All tokens descending from one sign-in; reuse of a rotated token revokes the family. */
  familyId: string;
  expiresAt: string;
  createdAt: string;
  /** Set when rotated (replaced by a newer token) or revoked. */
  usedAt?: string;
  revokedAt?: string;
}

export const ciActions = ['submit', 'apply', 'read'] as const;
export type CiAction = (typeof ciActions)[number];

export interface CiTokenRecord {
  id: string;
  orgId: string;
  name: string;
  /** SHA-256 (hex) of the secret part; the secret is shown once, at creation. */
  secretHash: string;
  projectId: string;
  environmentId: string;
  actions: CiAction[];
  createdBy: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

/** The deployment's certificate authority for agents (node-forge; the key encrypted at rest). */
export interface CertificateAuthorityRecord {
  id: string;
  /** PEM of the self-signed CA certificate. */
  certificatePem: string;
  /** PEM of the CA's private key, encrypted (PKCS#8, AES-256) with the server's CA passphrase. */
  encryptedKeyPem: string;
  createdAt: string;
  notAfter: string;
  /** Set when a newer CA took over; its certificates stay trusted until they expire. */
  retiredAt?: string;
}

/** A one-time enrolment token: at most 30 minutes, stored hashed, redeemed once. */
export interface EnrolmentTokenRecord {
  /** SHA-256 (hex) of the token; the token itself is shown once. */
  tokenHash: string;
  orgId: string;
  /** The agent's name, fixed when the token is made. */
  name: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  agentId?: string;
}

/** An enrolled agent: its Ed25519 identity and its current client certificate. */
export interface AgentRecord {
  id: string;
  orgId: string;
  name: string;
  identityKeyId: string;
  identityPublicKey: string;
  certificateSerial: string;
  certificateNotAfter: string;
  createdAt: string;
  revokedAt?: string;
  lastSeenAt?: string;
}

/** The latest heartbeat of an agent: kept apart from AgentRecord, which is read on every agent request. */
export interface AgentHeartbeatRecord {
  agentId: string;
  orgId: string;
  lastSeenAt: string;
  /** The agent's software version. */
  version: string;
  /** What it reported: its targets with their live schema digests and drift. */
  report: JsonValue;
}

/** The server's JWT signing keys (EdDSA). Old keys stay published until their tokens expire. */
export interface SigningKeyRecord {
  kid: string;
  /** JWK JSON strings. */
  publicJwk: string;
  privateJwk: string;
  createdAt: string;
  retiredAt?: string;
  /** Revoked by an operator (a key that may have leaked): tokens it signed are refused at once. */
  revokedAt?: string;
}

export interface ProjectRecord {
  id: string;
  orgId: string;
  name: string;
  createdAt: string;
}

export interface EnvironmentRecord {
  id: string;
  orgId: string;
  projectId: string;
  name: string;
  privacyMode: PrivacyMode;
  createdAt: string;
}

export interface TargetRecord {
  id: string;
  orgId: string;
  projectId: string;
  environmentId: string;
  name: string;
  dialect: Dialect;
  /** The agent that manages it, once one is enrolled. */
  agentId?: string;
  /** Current schema version (semver) and digest; absent until the first report. */
  version?: string;
  digest?: string;
  updatedAt: string;
  createdAt: string;
}

export interface SchemaVersionRecord {
  targetId: string;
  orgId: string;
  version: string;
  digest: string;
  /** The change that produced it, if it came through the control plane. */
  changeId?: string;
  createdAt: string;
}

export const trustDocumentKinds = ['root', 'keyring', 'policy'] as const;
export type TrustDocumentKind = (typeof trustDocumentKinds)[number];

/**
 * The organisation's signed trust documents. `root` holds the org root public key (set once);
 * `keyring` and `policy` are envelopes signed by that key, versioned from 1 upward.
 */
export interface TrustDocumentRecord {
  orgId: string;
  kind: TrustDocumentKind;
  version: number;
  /** The signed envelope (or, for `root`, `{publicKey, keyId}`) as stored JSON. */
  document: JsonValue;
  createdBy: string;
  createdAt: string;
}

/** An approver's public key, registered by `isotyp keys generate`; trusted once a keyring names it. */
export interface ApproverKeyRecord {
  keyId: string;
  orgId: string;
  userId: string;
  /** base64url Ed25519 public key. */
  publicKey: string;
  createdAt: string;
  revokedAt?: string;
}

export interface ChangeRecord {
  id: string;
  orgId: string;
  projectId: string;
  environmentId: string;
  targetId: string;
  title: string;
  state: ChangeState;
  fromDigest: string;
  toDigest: string;
  planDigest: string;
  manifestDigest: string;
  fromVersion: string;
  toVersion: string;
  bump: 'major' | 'minor' | 'patch' | 'none';
  /** Privacy-filtered manifest and lint findings, as validated JSON. */
  manifest: JsonValue;
  lint: JsonValue;
  /** The author's signed submission envelope. */
  submission: JsonValue;
  authorUserId: string;
  authorKeyId: string;
  /** Policy version the change is reviewed under (fixed at submit). */
  policyVersion: number;
  /** Bumped by every transition; optimistic concurrency for readers that care. */
  revision: number;
  reason?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ApprovalRecord {
  id: string;
  orgId: string;
  changeId: string;
  layer: string;
  decision: 'approve' | 'reject';
  userId: string;
  keyId: string;
  /** Replay key: a nonce is accepted once per organisation. */
  nonce: string;
  expiresAt: string;
  /** The signed approval envelope. */
  envelope: JsonValue;
  createdAt: string;
}

export interface ChangeFilter {
  projectId?: string;
  environmentId?: string;
  targetId?: string;
  states?: ChangeState[];
  /** Newest first; `before` is an exclusive `createdAt` cursor. */
  before?: string;
  limit: number;
}

/**
 * A schema-advisor suggestion as reported for one target (issue 8): metadata only — the kind, the
 * score, object names as the environment's privacy mode allows, and the digest of the proposal,
 * whose edits stay at the site. One row per (organisation, target, digest): the same proposal
 * reported again refreshes the row and keeps its review.
 */
/**
 * A webhook: where the organisation's events are POSTed, signed with `secret` (HMAC-SHA256), and
 * which of them (`events`: action names, or prefixes ending in `*`, as `change.*`).
 */
export interface WebhookRecord {
  id: string;
  orgId: string;
  url: string;
  secret: string;
  events: string[];
  description?: string;
  createdBy: string;
  createdAt: string;
}

/**
 * One event owed to one webhook (`id` is `<webhook id>:<event seq>`, so it is enqueued once).
 * `pending` until a 2xx answer (`delivered`); a replica works on it while `claimedUntil` lies
 * ahead; after the last try it moves to the dead letters.
 */
export interface WebhookDeliveryRecord {
  id: string;
  orgId: string;
  webhookId: string;
  eventSeq: number;
  status: 'pending' | 'delivered';
  attempts: number;
  nextAttemptAt: string;
  claimedUntil?: string;
  /** What the last try met: `http_<status>`, `timeout`, `connect_failed`, … — never a body. */
  lastError?: string;
  deliveredAt?: string;
  createdAt: string;
}

/** A number of requests one rate-limit key made in the window starting at `windowStart` (ms). */
export interface RateLimitCount {
  key: string;
  windowStart: number;
  count: number;
}

/** A delivery that failed every try: kept until replayed (`isotyp webhooks replay`). */
export interface WebhookDeadLetterRecord {
  id: string;
  orgId: string;
  webhookId: string;
  eventSeq: number;
  attempts: number;
  lastError?: string;
  deadAt: string;
  createdAt: string;
}

export interface SuggestionRecord {
  id: string;
  orgId: string;
  /** The target's, copied at first report so reads can check access without loading it. */
  projectId: string;
  environmentId: string;
  targetId: string;
  /** `suggestionDigest` of the proposal (kind, objects, edits). */
  digest: string;
  kind: SuggestionKind;
  source: 'rule' | 'llm';
  /** Privacy-filtered object references (empty in `digest` mode), as validated JSON. */
  objects: JsonValue;
  impact: SuggestionImpact;
  confidence: number;
  risk: Risk;
  score: number;
  editCount: number;
  /** As stored: a snooze that has ended still reads `snoozed` here (see `suggestionStateAt`). */
  state: SuggestionState;
  reviewerUserId?: string;
  reason?: string;
  reviewedAt?: string;
  /** Set while (and after) the suggestion is snoozed; it counts as `new` from this instant. */
  snoozedUntil?: string;
  /** The change an agent drafted from the accepted suggestion. */
  changeId?: string;
  /**
   * The plan the target's agent drafted from the accepted suggestion, for a person to sign and
   * submit as a change: `{ title, fromDigest, toDigest, planDigest, bump, manifest, lint }`,
   * privacy-filtered, as validated JSON. The latest one wins; set with `draftedAt`.
   */
  draft?: JsonValue;
  draftedAt?: string;
  /** Actor string of the first reporter (`agent:<id>`, `user:<id>`, `ci:<id>`). */
  reportedBy: string;
  createdAt: string;
  updatedAt: string;
  /** When the proposal was last reported. */
  lastSeenAt: string;
}

/**
 * The state a suggestion is in at `now`: a snooze that has ended counts as `new`.
 *
 * @example
 * suggestionStateAt({ state: 'snoozed', snoozedUntil: '2026-01-02T00:00:00.000Z' }, '2026-01-03T00:00:00.000Z') // 'new'
 */
export function suggestionStateAt(
  suggestion: Pick<SuggestionRecord, 'state' | 'snoozedUntil'>,
  now: string,
): SuggestionState {
  if (suggestion.state === 'snoozed' && suggestion.snoozedUntil !== undefined && suggestion.snoozedUntil <= now)
    return 'new';
  return suggestion.state;
}

export interface SuggestionFilter {
  targetIds?: readonly string[];
  /** States as at `now` (`suggestionStateAt`): `new` includes snoozes that have ended. */
  states?: readonly SuggestionState[];
  /** True: only those with a drafted change; false: only those without. */
  drafted?: boolean;
  /** True: only those with a drafted plan (`draft`); false: only those without. */
  planned?: boolean;
  now: string;
  /** Highest score first, then oldest first. */
  limit: number;
}

/** A review decision, applied only while the suggestion is in one of `from`. */
export interface SuggestionReview {
  from: readonly SuggestionState[];
  to: Exclude<SuggestionState, 'new'>;
  reviewerUserId: string;
  reason?: string;
  /** For `snoozed` only. */
  snoozedUntil?: string;
  now: string;
}

export type IdempotencyClaim =
  /** This request owns the key now; call `completeIdempotency` with the answer. */
  | { kind: 'claimed' }
  /** The same key and body answered before: send this again. */
  | { kind: 'replay'; status: number; body: string }
  /** The same key came with another body. */
  | { kind: 'mismatch' }
  /** The same key is being processed by a concurrent request. */
  | { kind: 'in_progress' };

/**
 * One entry of the control plane's audit log (issue 6): canonical JSON `entry` and its RFC 6962
 * leaf hash. `seq` counts from 0 with no gaps; the store refuses UPDATE and DELETE on the table.
 */
export interface AuditEntryRecord {
  seq: number;
  /** Organisation the entry is about; entries are only shown to members of it. */
  orgId: string;
  time: string;
  action: string;
  entityKind: string;
  entityId: string;
  /** The canonical JSON text of the whole entry, exactly as hashed. */
  entry: string;
  /** hex SHA-256 leaf hash (0x00 prefix) of `entry`. */
  leafHash: string;
}

/**
 * The control plane's audit-log signing key (Ed25519): it signs the log's C2SP checkpoints. The
 * first replica that needs it makes it; it never changes, since agents and auditors pin it.
 */
export interface LogKeyRecord {
  /** The log has one key; its row id is always `audit-log`. */
  id: string;
  /** The note key name, which is also the checkpoint origin, e.g. `isotyp.control-plane/cp.example.com`. */
  name: string;
  /** base64url of the 32-byte public key. */
  publicKey: string;
  /** base64url of the 32-byte private seed. */
  seed: string;
  createdAt: string;
}

/**
 * A signed checkpoint of an agent's own audit log that the control plane accepted: consistent
 * with the agent's previous one and signed by the key its first checkpoint pinned.
 */
export interface AgentCheckpointRecord {
  orgId: string;
  agentId: string;
  /** 1, 2, 3… per agent. Inserting the next number is the compare-and-set two concurrent reports race on. */
  ordinal: number;
  size: number;
  /** Standard base64 of the 32-byte root, as the note writes it. */
  root: string;
  /** The whole signed note, as received. */
  note: string;
  /** The agent's verifier key (C2SP vkey) the note verified under. */
  vkey: string;
  createdAt: string;
}

/** A page of one entity's audit entries: `after` is an exclusive seq cursor. */
export interface AuditPage {
  after?: number;
  limit?: number;
}
