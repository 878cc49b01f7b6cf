/**
 * The control plane's storage contract. Routes see only this interface; `sqlite/` and
 * `postgres/` implement it with drizzle-orm, and `store-suite.ts` is the one test suite both
 * pass.
 *
 * Every method is atomic on its own: a method that checks and then writes (a state
 * transition, an idempotency claim, a refresh-token rotation) does both in one statement or
 * one transaction, so two replicas racing on the same row cannot both win. There is no
 * generic `transaction(fn)` on purpose: better-sqlite3 transactions cannot span an `await`,
 * and an interface that allowed it on PostgreSQL only would behave differently per dialect.
 *
 * Tenancy: every read of an organisation's object takes the organisation id and returns
 * `undefined` for an object of another organisation, so a route cannot leak one by mistake.
 * Times are ISO 8601 UTC strings (`Date#toISOString`).
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
import type { TableName } from './core/rows.js';

export type StoreDialect = 'sqlite' | 'postgres';

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

export interface OpenStoreOptions {
  /**
   * For maintenance that no running control plane may see half done (a new passphrase): refused
   * with ISOTYP_CONFLICT while any other control plane process has the database open. SQLite then
   * keeps every other process out until the store closes; on PostgreSQL, control planes are known
   * by their connections' application_name, and one started meanwhile is not kept out.
   */
  alone?: boolean;
}

/** A table of the store, by the name `Stored` gives it (what `stamp` takes). */
export type StoreTable = TableName;

export interface Store {
  readonly dialect: StoreDialect;
  /** Applies pending schema migrations; safe to call on every start and from every replica. */
  migrate(): Promise<void>;
  /** True when the database answers (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /**
   * What caches are keyed on: a value that is different from every earlier one once a write to
   * any of `tables` may have committed — from this process (counted as each write returns, so a
   * request sees its own writes) or from another one (SQLite's data_version, read at most once
   * a millisecond; PostgreSQL notifications from triggers on every table, which arrive a few
   * milliseconds after the commit). `undefined` when other writers cannot be
   * followed right now (the notification connection is down): then nothing may be served from
   * a cache. Synchronous and cheap: it is called on every request.
   */
  stamp(tables: readonly StoreTable[]): string | undefined;
  /**
   * Runs `work` as one transaction: every store call made inside it (on its async path) commits
   * with it or not at all — a change and the audit entry that records it, which is also the
   * event that announces it (see events/). A call inside another joins it. Inside, `stamp`
   * answers undefined for the tables the transaction has written: nothing it reads of its own
   * uncommitted writes may be cached for others.
   */
  atomically<T>(work: () => Promise<T>): Promise<T>;

  orgs: {
    create(org: OrgRecord): Promise<void>;
    get(id: string): Promise<OrgRecord | undefined>;
    list(): Promise<OrgRecord[]>;
  };
  users: {
    /** Throws ISOTYP_CONFLICT when the email (or OIDC identity) is taken in the organisation. */
    create(user: UserRecord): Promise<void>;
    get(orgId: string, id: string): Promise<UserRecord | undefined>;
    byEmail(orgId: string, email: string): Promise<UserRecord | undefined>;
    byOidc(issuer: string, subject: string): Promise<UserRecord | undefined>;
    list(orgId: string): Promise<UserRecord[]>;
    setPasswordHash(orgId: string, id: string, hash: string): Promise<void>;
  };
  grants: {
    create(grant: RoleGrantRecord): Promise<void>;
    forUser(orgId: string, userId: string): Promise<RoleGrantRecord[]>;
    list(orgId: string): Promise<RoleGrantRecord[]>;
    delete(orgId: string, id: string): Promise<boolean>;
  };
  refreshTokens: {
    create(token: RefreshTokenRecord): Promise<void>;
    /**
     * Atomically marks an unused, unrevoked, unexpired token used and returns it. Returns
     * `{reused: true}` (and revokes the whole family) when it was already used: a stolen
     * refresh token replayed after rotation.
     */
    consume(tokenHash: string, now: string): Promise<{ token: RefreshTokenRecord } | { reused: true } | undefined>;
    revokeFamily(familyId: string, now: string): Promise<void>;
    revokeForUser(userId: string, now: string): Promise<void>;
  };
  ciTokens: {
    create(token: CiTokenRecord): Promise<void>;
    get(orgId: string, id: string): Promise<CiTokenRecord | undefined>;
    /** Any organisation: tokens are looked up by id before the tenant is known. */
    byId(id: string): Promise<CiTokenRecord | undefined>;
    list(orgId: string): Promise<CiTokenRecord[]>;
    revoke(orgId: string, id: string, now: string): Promise<boolean>;
    touch(id: string, now: string): Promise<void>;
  };
  authorities: {
    /** The newest CA not retired, if any. */
    active(): Promise<CertificateAuthorityRecord | undefined>;
    /** False when a CA with this id exists already (another replica made it first). */
    create(ca: CertificateAuthorityRecord): Promise<boolean>;
    /** Every CA, retired ones included, newest first. */
    list(): Promise<CertificateAuthorityRecord[]>;
    /** Marks a CA retired (no new certificates from it); false when it already was, or is unknown. */
    retire(id: string, at: string): Promise<boolean>;
    /** Stores `to` as the CA's encrypted key if it is still `from` (a new passphrase); false otherwise. */
    rekey(id: string, from: string, to: string): Promise<boolean>;
  };
  enrolmentTokens: {
    create(token: EnrolmentTokenRecord): Promise<void>;
    /**
     * Marks an unused, unexpired token used by `agentId`, as one compare-and-set: of two
     * concurrent redemptions exactly one gets the record, the other undefined.
     */
    redeem(tokenHash: string, now: string, agentId: string): Promise<EnrolmentTokenRecord | undefined>;
  };
  heartbeats: {
    /** Keeps only the latest heartbeat per agent; many agents' in one statement. */
    record(heartbeats: readonly AgentHeartbeatRecord[]): Promise<void>;
    list(orgId: string): Promise<AgentHeartbeatRecord[]>;
  };
  agents: {
    create(agent: AgentRecord): Promise<void>;
    get(orgId: string, id: string): Promise<AgentRecord | undefined>;
    list(orgId: string): Promise<AgentRecord[]>;
    /** False when there is no such agent; revoking twice keeps the first time. */
    revoke(orgId: string, id: string, now: string): Promise<boolean>;
    /**
     * Makes a new certificate the agent's current one, only while `previousSerial` still is (one
     * compare-and-set: of two concurrent renewals one wins) and the agent is not revoked.
     */
    renewCertificate(
      orgId: string,
      id: string,
      previousSerial: string,
      next: { serial: string; notAfter: string },
    ): Promise<boolean>;
  };
  signingKeys: {
    add(key: SigningKeyRecord): Promise<void>;
    /** Newest first, retired ones included (their public halves stay in the JWKS a while). */
    list(): Promise<SigningKeyRecord[]>;
    /** Stores `to` as the key's private half if it is still `from` (sealing it, or under a new passphrase); false otherwise. */
    reseal(kid: string, from: string, to: string): Promise<boolean>;
    retire(kid: string, now: string): Promise<void>;
    /** Retires and revokes a key (see SigningKeyRecord.revokedAt); false when it is unknown or was revoked already. */
    revoke(kid: string, now: string): Promise<boolean>;
  };
  projects: {
    create(project: ProjectRecord): Promise<void>;
    get(orgId: string, id: string): Promise<ProjectRecord | undefined>;
    list(orgId: string): Promise<ProjectRecord[]>;
  };
  environments: {
    create(environment: EnvironmentRecord): Promise<void>;
    get(orgId: string, id: string): Promise<EnvironmentRecord | undefined>;
    list(orgId: string, projectId: string): Promise<EnvironmentRecord[]>;
  };
  targets: {
    create(target: TargetRecord): Promise<void>;
    get(orgId: string, id: string): Promise<TargetRecord | undefined>;
    list(orgId: string, filter: { projectId?: string; environmentId?: string }): Promise<TargetRecord[]>;
    /** Sets the current version and digest and appends to the version history, together. */
    recordVersion(version: SchemaVersionRecord): Promise<void>;
    versions(orgId: string, targetId: string): Promise<SchemaVersionRecord[]>;
    /** Puts a target in an agent's care (undefined: in nobody's); false when there is no such target. */
    assign(orgId: string, targetId: string, agentId: string | undefined, now: string): Promise<boolean>;
  };
  trust: {
    /**
     * Appends the next version of a document. Throws ISOTYP_CONFLICT when `version` is not
     * exactly one more than the latest (a concurrent writer got there first).
     */
    put(doc: TrustDocumentRecord): Promise<void>;
    latest(orgId: string, kind: TrustDocumentKind): Promise<TrustDocumentRecord | undefined>;
    get(orgId: string, kind: TrustDocumentKind, version: number): Promise<TrustDocumentRecord | undefined>;
  };
  approverKeys: {
    create(key: ApproverKeyRecord): Promise<void>;
    get(orgId: string, keyId: string): Promise<ApproverKeyRecord | undefined>;
    list(orgId: string): Promise<ApproverKeyRecord[]>;
  };
  changes: {
    create(change: ChangeRecord): Promise<void>;
    get(orgId: string, id: string): Promise<ChangeRecord | undefined>;
    list(orgId: string, filter: ChangeFilter): Promise<ChangeRecord[]>;
    /**
     * Compare-and-set: moves the change to `to` only if its state is one of `from`. Returns the
     * updated record, or `undefined` when the state had moved on (the caller answers 409).
     */
    transition(
      orgId: string,
      id: string,
      from: readonly ChangeState[],
      to: ChangeState,
      now: string,
      reason?: string,
    ): Promise<ChangeRecord | undefined>;
  };
  suggestions: {
    /**
     * Records one report of a target's suggestions. A digest not seen before on the target is
     * inserted (as given, normally `new`); a known one gets the reported metrics and
     * `lastSeenAt`, keeps its review, and — if its snooze has ended — is `new` again. Each
     * record is one insert-or-update, so concurrent reports of one digest make one row.
     */
    report(records: readonly SuggestionRecord[]): Promise<{ created: number; updated: number }>;
    get(orgId: string, id: string): Promise<SuggestionRecord | undefined>;
    list(orgId: string, filter: SuggestionFilter): Promise<SuggestionRecord[]>;
    /**
     * Compare-and-set: records the decision only if the state is one of `review.from` (as
     * stored). Returns the updated record, or `undefined` when it had moved on (answer 409).
     */
    review(orgId: string, id: string, review: SuggestionReview): Promise<SuggestionRecord | undefined>;
    /**
     * Notes the change drafted from an accepted suggestion, once: only while it is accepted and
     * has no change yet. `undefined` otherwise.
     */
    drafted(orgId: string, id: string, changeId: string, now: string): Promise<SuggestionRecord | undefined>;
    /**
     * Compare-and-set: stores the plan an agent drafted from the suggestion (replacing an
     * earlier one), only while it is accepted and has no change yet. `undefined` otherwise.
     */
    attachDraft(orgId: string, id: string, draft: JsonValue, at: string): Promise<SuggestionRecord | undefined>;
  };
  webhooks: {
    create(webhook: WebhookRecord): Promise<void>;
    /** Stores `to` as the webhook's secret if it is still `from` (sealing it, or under a new passphrase); false otherwise. */
    reseal(id: string, from: string, to: string): Promise<boolean>;
    get(orgId: string, id: string): Promise<WebhookRecord | undefined>;
    list(orgId: string): Promise<WebhookRecord[]>;
    /** Every organisation's webhooks (what the dispatcher matches events against). */
    all(): Promise<WebhookRecord[]>;
    /** Removes the webhook with its pending deliveries and dead letters; false when unknown. */
    delete(orgId: string, id: string): Promise<boolean>;
    /** A named cursor into the audit log (the last seq handled: -1 before the first); undefined until set. */
    cursor(name: string): Promise<number | undefined>;
    /**
     * Enqueues deliveries and moves the cursor from `from` (undefined: sets it) to `to`, in one
     * transaction; false (nothing stored) when another replica moved or set the cursor first.
     */
    enqueue(
      name: string,
      from: number | undefined,
      to: number,
      deliveries: readonly WebhookDeliveryRecord[],
    ): Promise<boolean>;
    /**
     * Claims up to `limit` pending deliveries due at `now` that nobody holds, until `until`,
     * counting one more attempt on each; every row goes to one claimer only.
     */
    claim(now: string, until: string, limit: number): Promise<WebhookDeliveryRecord[]>;
    delivered(id: string, at: string): Promise<void>;
    /** Releases a claimed delivery for a later try. */
    retryLater(id: string, nextAttemptAt: string, lastError: string): Promise<void>;
    /** Moves a delivery to the dead letters (one transaction). */
    bury(delivery: WebhookDeliveryRecord, lastError: string, at: string): Promise<void>;
    deliveries(
      orgId: string,
      filter: { webhookId?: string; status?: WebhookDeliveryRecord['status']; limit: number },
    ): Promise<WebhookDeliveryRecord[]>;
    deadLetters(orgId: string, filter: { webhookId?: string; limit: number }): Promise<WebhookDeadLetterRecord[]>;
    /**
     * Moves dead letters back to pending, due now, with no attempts (one transaction); the ids
     * replayed. `ids` limits it to those; otherwise every one of the organisation (or webhook).
     */
    replay(orgId: string, filter: { webhookId?: string; ids?: readonly string[] }, at: string): Promise<string[]>;
  };
  rateLimits: {
    /**
     * Adds each row's count to the stored count of its key and window (one statement) and
     * returns the sums: what every replica has counted so far.
     */
    add(rows: readonly RateLimitCount[]): Promise<RateLimitCount[]>;
    /** Forgets windows that started before `before` (ms since the epoch). */
    prune(before: number): Promise<number>;
  };
  approvals: {
    /** Throws ISOTYP_APPROVAL_REPLAYED when the nonce was used before in the organisation. */
    create(approval: ApprovalRecord): Promise<void>;
    forChange(orgId: string, changeId: string): Promise<ApprovalRecord[]>;
  };
  audit: {
    /**
     * Appends one entry at the next sequence number, atomically across replicas: `build` gets
     * the seq and returns the record to store (its hash depends on the seq).
     */
    append(build: (seq: number) => AuditEntryRecord): Promise<AuditEntryRecord>;
    size(): Promise<number>;
    /** Entries with from ≤ seq < to, in order. */
    range(from: number, to: number): Promise<AuditEntryRecord[]>;
    /** One entity's entries in seq order; all of them without `page`. */
    byEntity(orgId: string, kind: string, id: string, page?: AuditPage): Promise<AuditEntryRecord[]>;
    /** The log's signing key, or undefined until a replica made one. */
    logKey(): Promise<LogKeyRecord | undefined>;
    /** Stores `key` unless one exists, and returns the stored key (racing replicas all get the winner's). */
    initLogKey(key: LogKeyRecord): Promise<LogKeyRecord>;
    /** Stores `to` as the log key's seed if it is still `from` (sealing it, or under a new passphrase); false otherwise. */
    resealLogKey(from: string, to: string): Promise<boolean>;
  };
  /** Accepted agent checkpoints; append-only like the audit log. */
  agentCheckpoints: {
    /** The agent's newest accepted checkpoint, if any. */
    latest(orgId: string, agentId: string): Promise<AgentCheckpointRecord | undefined>;
    /** Oldest first. */
    list(orgId: string, agentId: string): Promise<AgentCheckpointRecord[]>;
    /**
     * Appends `checkpoint`; false (nothing stored) when its ordinal is taken, i.e. another
     * report of the same agent was accepted since the caller read `latest`.
     */
    append(checkpoint: AgentCheckpointRecord): Promise<boolean>;
  };
  idempotency: {
    /**
     * Claims `key` for `principal` with the request's body hash. Atomic: of two concurrent
     * claims with the same key, exactly one gets `claimed`.
     */
    claim(principal: string, key: string, requestHash: string, now: string): Promise<IdempotencyClaim>;
    complete(principal: string, key: string, status: number, body: string): Promise<void>;
    /** Every stored answer (keys still pending have none). */
    answers(): Promise<{ principal: string; key: string; body: string }[]>;
    /** Stores `to` as the answer's body if it is still `from` (under a new passphrase); false otherwise. */
    reseal(principal: string, key: string, from: string, to: string): Promise<boolean>;
    /** Forgets a claim whose request failed before answering, so a retry can run. */
    release(principal: string, key: string): Promise<void>;
    /**
     * Removes answered keys older than `before`, and claims still pending from before
     * `pendingBefore` (their request died with its process: a retry must be able to run).
     */
    prune(before: string, pendingBefore?: string): Promise<number>;
  };
}
