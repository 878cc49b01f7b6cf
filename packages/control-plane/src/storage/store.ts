/**
 * The control plane's storage contract. Routes see only this interface; `sqlite/` and
 * `postgres/` implement it with drizzle-orm, and `store-suite.ts` is the one test suite both
 * pass.
 *
 * Every method is atomic on its own: a method that checks and then writes (a state
 * transition, an idempotency claim, a refresh-token rotation) does both in one statement or
 * one transaction, so two replicas racing on the same row cannot both win; `atomically` groups
 * several calls into one transaction where a route needs them to commit together.
 *
 * Tenancy: every read of an organisation's object takes the organisation id and returns
 * `undefined` for an object of another organisation, so a route cannot leak one by mistake.
 * Times are ISO 8601 UTC strings (`Date#toISOString`).
 */
import type { ChangeState, JsonValue } from '@isotyp/protocol';
import type { TableName } from './core/rows.js';
import type {
  AgentCheckpointRecord,
  AgentHeartbeatRecord,
  AgentRecord,
  ApprovalRecord,
  ApproverKeyRecord,
  AuditEntryRecord,
  AuditPage,
  CertificateAuthorityRecord,
  ChangeFilter,
  ChangeRecord,
  CiTokenRecord,
  EnrolmentTokenRecord,
  EnvironmentRecord,
  IdempotencyClaim,
  LogKeyRecord,
  OrgRecord,
  ProjectRecord,
  RateLimitCount,
  RefreshTokenRecord,
  RoleGrantRecord,
  SchemaVersionRecord,
  SigningKeyRecord,
  SuggestionFilter,
  SuggestionRecord,
  SuggestionReview,
  TargetRecord,
  TrustDocumentKind,
  TrustDocumentRecord,
  UserRecord,
  WebhookDeadLetterRecord,
  WebhookDeliveryRecord,
  WebhookRecord,
} from './store-records.js';

export * from './store-records.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface OpenStoreOptions {
  /**
   * For maintenance that no running control plane may see half done (a new passphrase): refused
   * with ISOTYP_CONFLICT while any other control plane process has the database open. SQLite then
   * keeps every other process out until the store closes; on PostgreSQL, control planes are known
   * by their connections' application_name, and one that starts meanwhile waits at its start (an
   * advisory lock) until the store closes.
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
    /** False when the organisation has no such user. */
    setDisabled(orgId: string, id: string, disabled: boolean): Promise<boolean>;
  };
  grants: {
    /** Stores the grant; false (nothing stored) when the user already holds that role at that scope. */
    create(grant: RoleGrantRecord): Promise<boolean>;
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
    /**
     * Stored answers (keys still pending have none) in (principal, key) order: up to `limit` of
     * them after `after`, the last one of the previous page.
     */
    answers(
      after: { principal: string; key: string } | undefined,
      limit: number,
    ): Promise<{ principal: string; key: string; body: string }[]>;
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
