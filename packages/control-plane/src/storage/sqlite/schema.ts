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
import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  unique,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import type { ChangeRecord, CiAction, Scope, TrustDocumentKind } from '../store.js';

/*
 * The control plane's tables on SQLite; postgres/schema.ts is the same model, and both select
 * the rows of core/rows.ts. Times are ISO 8601 text (which sorts chronologically), JSON is
 * text. Foreign keys pair the org id with the parent's id, so a row can never point at another
 * organisation's object. After a change, generate a migration from packages/control-plane:
 * `npx drizzle-kit generate --config drizzle.sqlite.config.ts --name <what-changed>`.
 */

const createdAt = () => text('created_at').notNull();
const orgId = () => text('org_id').notNull();
const json = <T extends JsonValue>(name: string) => text(name, { mode: 'json' }).$type<T>().notNull();

export const orgs = sqliteTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    orgId: orgId().references(() => orgs.id),
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    oidcIssuer: text('oidc_issuer'),
    oidcSubject: text('oidc_subject'),
    disabled: integer('disabled', { mode: 'boolean' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('users_org_id_id').on(t.orgId, t.id),
    uniqueIndex('users_org_email').on(t.orgId, t.email),
    uniqueIndex('users_oidc_identity').on(t.oidcIssuer, t.oidcSubject),
  ],
);

export const projects = sqliteTable(
  'projects',
  {
    id: text('id').primaryKey(),
    orgId: orgId().references(() => orgs.id),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('projects_org_id_id').on(t.orgId, t.id),
    // Names are how people and the CLI find a project (`--project shop`): one per name.
    uniqueIndex('projects_org_name').on(t.orgId, t.name),
  ],
);

export const environments = sqliteTable(
  'environments',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    projectId: text('project_id').notNull(),
    name: text('name').notNull(),
    privacyMode: text('privacy_mode').$type<PrivacyMode>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('environments_org_id_id').on(t.orgId, t.id),
    // Also the index for listing a project's environments (its leading columns).
    uniqueIndex('environments_org_project_name').on(t.orgId, t.projectId, t.name),
    foreignKey({ columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] }),
  ],
);

export const roleGrants = sqliteTable(
  'role_grants',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    userId: text('user_id').notNull(),
    role: text('role').$type<Role>().notNull(),
    scopeKind: text('scope_kind').$type<Scope['kind']>().notNull(),
    projectId: text('project_id'),
    environmentId: text('environment_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('role_grants_org_user').on(t.orgId, t.userId),
    // One grant of a role at one scope: granting it again finds the one held. The scope's ids
    // are NULL above their level, and NULLs never collide in a unique index, hence coalesce.
    uniqueIndex('role_grants_one_per_scope').on(
      t.orgId,
      t.userId,
      t.role,
      t.scopeKind,
      sql`coalesce(${t.projectId}, '')`,
      sql`coalesce(${t.environmentId}, '')`,
    ),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }),
    foreignKey({ columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] }),
    foreignKey({ columns: [t.orgId, t.environmentId], foreignColumns: [environments.orgId, environments.id] }),
    check(
      'role_grants_scope',
      sql`(${t.scopeKind} = 'org' AND ${t.projectId} IS NULL AND ${t.environmentId} IS NULL)
        OR (${t.scopeKind} = 'project' AND ${t.projectId} IS NOT NULL AND ${t.environmentId} IS NULL)
        OR (${t.scopeKind} = 'environment' AND ${t.projectId} IS NOT NULL AND ${t.environmentId} IS NOT NULL)`,
    ),
  ],
);

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id').notNull(),
    orgId: orgId(),
    familyId: text('family_id').notNull(),
    expiresAt: text('expires_at').notNull(),
    createdAt: createdAt(),
    usedAt: text('used_at'),
    revokedAt: text('revoked_at'),
  },
  (t) => [
    index('refresh_tokens_family').on(t.familyId),
    index('refresh_tokens_user').on(t.userId),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }),
  ],
);

export const ciTokens = sqliteTable(
  'ci_tokens',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    projectId: text('project_id').notNull(),
    environmentId: text('environment_id').notNull(),
    actions: json<CiAction[]>('actions'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    expiresAt: text('expires_at'),
    revokedAt: text('revoked_at'),
    lastUsedAt: text('last_used_at'),
  },
  (t) => [
    index('ci_tokens_org').on(t.orgId, t.createdAt),
    foreignKey({ columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] }),
    foreignKey({ columns: [t.orgId, t.environmentId], foreignColumns: [environments.orgId, environments.id] }),
  ],
);

export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: text('public_jwk').notNull(),
  privateJwk: text('private_jwk').notNull(),
  createdAt: createdAt(),
  retiredAt: text('retired_at'),
  /** Set when an operator revoked the key: it no longer verifies anything. */
  revokedAt: text('revoked_at'),
});

export const targets = sqliteTable(
  'targets',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    projectId: text('project_id').notNull(),
    environmentId: text('environment_id').notNull(),
    name: text('name').notNull(),
    dialect: text('dialect').$type<Dialect>().notNull(),
    agentId: text('agent_id'),
    version: text('version'),
    digest: text('digest'),
    updatedAt: text('updated_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('targets_org_id_id').on(t.orgId, t.id),
    index('targets_org_project').on(t.orgId, t.projectId),
    // Also the index for listing an environment's targets (its leading columns).
    uniqueIndex('targets_org_environment_name').on(t.orgId, t.environmentId, t.name),
    foreignKey({ columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] }),
    foreignKey({ columns: [t.orgId, t.environmentId], foreignColumns: [environments.orgId, environments.id] }),
  ],
);

export const schemaVersions = sqliteTable(
  'schema_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    targetId: text('target_id').notNull(),
    orgId: orgId(),
    version: text('version').notNull(),
    digest: text('digest').notNull(),
    changeId: text('change_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('schema_versions_org_target').on(t.orgId, t.targetId, t.id),
    foreignKey({ columns: [t.orgId, t.targetId], foreignColumns: [targets.orgId, targets.id] }),
  ],
);

export const trustDocuments = sqliteTable(
  'trust_documents',
  {
    orgId: orgId().references(() => orgs.id),
    kind: text('kind').$type<TrustDocumentKind>().notNull(),
    version: integer('version').notNull(),
    document: json<JsonValue>('document'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'trust_documents_pk', columns: [t.orgId, t.kind, t.version] })],
);

export const approverKeys = sqliteTable(
  'approver_keys',
  {
    keyId: text('key_id').primaryKey(),
    orgId: orgId(),
    userId: text('user_id').notNull(),
    publicKey: text('public_key').notNull(),
    createdAt: createdAt(),
    revokedAt: text('revoked_at'),
  },
  (t) => [
    index('approver_keys_org').on(t.orgId, t.createdAt),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }),
  ],
);

export const changes = sqliteTable(
  'changes',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    projectId: text('project_id').notNull(),
    environmentId: text('environment_id').notNull(),
    targetId: text('target_id').notNull(),
    title: text('title').notNull(),
    state: text('state').$type<ChangeState>().notNull(),
    fromDigest: text('from_digest').notNull(),
    toDigest: text('to_digest').notNull(),
    planDigest: text('plan_digest').notNull(),
    manifestDigest: text('manifest_digest').notNull(),
    fromVersion: text('from_version').notNull(),
    toVersion: text('to_version').notNull(),
    bump: text('bump').$type<ChangeRecord['bump']>().notNull(),
    manifest: json<JsonValue>('manifest'),
    lint: json<JsonValue>('lint'),
    submission: json<JsonValue>('submission'),
    authorUserId: text('author_user_id').notNull(),
    authorKeyId: text('author_key_id').notNull(),
    policyVersion: integer('policy_version').notNull(),
    revision: integer('revision').notNull(),
    reason: text('reason'),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [
    unique('changes_org_id_id').on(t.orgId, t.id),
    index('changes_org_created').on(t.orgId, t.createdAt),
    index('changes_org_project_created').on(t.orgId, t.projectId, t.createdAt),
    index('changes_org_environment_created').on(t.orgId, t.environmentId, t.createdAt),
    index('changes_org_target_created').on(t.orgId, t.targetId, t.createdAt),
    index('changes_org_state').on(t.orgId, t.state),
    foreignKey({ columns: [t.orgId, t.targetId], foreignColumns: [targets.orgId, targets.id] }),
    foreignKey({ columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] }),
    foreignKey({ columns: [t.orgId, t.environmentId], foreignColumns: [environments.orgId, environments.id] }),
  ],
);

export const approvals = sqliteTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    changeId: text('change_id').notNull(),
    layer: text('layer').notNull(),
    decision: text('decision').$type<'approve' | 'reject'>().notNull(),
    userId: text('user_id').notNull(),
    keyId: text('key_id').notNull(),
    nonce: text('nonce').notNull(),
    expiresAt: text('expires_at').notNull(),
    envelope: json<JsonValue>('envelope'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('approvals_org_nonce').on(t.orgId, t.nonce),
    index('approvals_org_change').on(t.orgId, t.changeId),
    foreignKey({ columns: [t.orgId, t.changeId], foreignColumns: [changes.orgId, changes.id] }),
  ],
);

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    body: text('body'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pk', columns: [t.principal, t.key] }),
    index('idempotency_keys_created').on(t.createdAt),
  ],
);

/** Append-only: the migration adds triggers that refuse UPDATE and DELETE. */
export const auditEntries = sqliteTable(
  'audit_entries',
  {
    seq: integer('seq').primaryKey(),
    orgId: orgId(),
    time: text('time').notNull(),
    action: text('action').notNull(),
    entityKind: text('entity_kind').notNull(),
    entityId: text('entity_id').notNull(),
    entry: text('entry').notNull(),
    leafHash: text('leaf_hash').notNull(),
  },
  (t) => [index('audit_entries_entity').on(t.orgId, t.entityKind, t.entityId, t.seq)],
);

/** Append-only, one row: the migration adds triggers that refuse UPDATE and DELETE. */
export const auditLogKeys = sqliteTable('audit_log_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  publicKey: text('public_key').notNull(),
  seed: text('seed').notNull(),
  createdAt: createdAt(),
});

/** Append-only: the migration adds triggers that refuse UPDATE and DELETE. */
export const agentCheckpoints = sqliteTable(
  'agent_checkpoints',
  {
    orgId: orgId().references(() => orgs.id),
    agentId: text('agent_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    size: integer('size').notNull(),
    root: text('root').notNull(),
    note: text('note').notNull(),
    vkey: text('vkey').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'agent_checkpoints_pk', columns: [t.orgId, t.agentId, t.ordinal] })],
);

export const certificateAuthorities = sqliteTable('certificate_authorities', {
  id: text('id').primaryKey(),
  certificatePem: text('certificate_pem').notNull(),
  encryptedKeyPem: text('encrypted_key_pem').notNull(),
  createdAt: createdAt(),
  notAfter: text('not_after').notNull(),
  retiredAt: text('retired_at'),
});

export const enrolmentTokens = sqliteTable(
  'enrolment_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    orgId: orgId().references(() => orgs.id),
    name: text('name').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    expiresAt: text('expires_at').notNull(),
    usedAt: text('used_at'),
    agentId: text('agent_id'),
  },
  (t) => [index('enrolment_tokens_org').on(t.orgId, t.createdAt)],
);

export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    orgId: orgId().references(() => orgs.id),
    name: text('name').notNull(),
    identityKeyId: text('identity_key_id').notNull(),
    identityPublicKey: text('identity_public_key').notNull(),
    certificateSerial: text('certificate_serial').notNull(),
    certificateNotAfter: text('certificate_not_after').notNull(),
    createdAt: createdAt(),
    revokedAt: text('revoked_at'),
    lastSeenAt: text('last_seen_at'),
  },
  (t) => [unique('agents_org_name').on(t.orgId, t.name), index('agents_org').on(t.orgId, t.createdAt)],
);

export const agentHeartbeats = sqliteTable(
  'agent_heartbeats',
  {
    agentId: text('agent_id').primaryKey(),
    orgId: orgId().references(() => orgs.id),
    lastSeenAt: text('last_seen_at').notNull(),
    version: text('version').notNull(),
    report: json<JsonValue>('report'),
  },
  (t) => [index('agent_heartbeats_org').on(t.orgId)],
);

/** One row per proposal and target: a report of a known digest updates it (core/suggestions.ts). */
export const suggestions = sqliteTable(
  'suggestions',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    projectId: text('project_id').notNull(),
    environmentId: text('environment_id').notNull(),
    targetId: text('target_id').notNull(),
    digest: text('digest').notNull(),
    kind: text('kind').$type<SuggestionKind>().notNull(),
    source: text('source').$type<'rule' | 'llm'>().notNull(),
    objects: json<JsonValue>('objects'),
    impact: text('impact').$type<SuggestionImpact>().notNull(),
    confidence: real('confidence').notNull(),
    risk: text('risk').$type<Risk>().notNull(),
    score: integer('score').notNull(),
    editCount: integer('edit_count').notNull(),
    state: text('state').$type<SuggestionState>().notNull(),
    reviewerUserId: text('reviewer_user_id'),
    reason: text('reason'),
    reviewedAt: text('reviewed_at'),
    snoozedUntil: text('snoozed_until'),
    changeId: text('change_id'),
    draft: text('draft', { mode: 'json' }).$type<JsonValue>(),
    draftedAt: text('drafted_at'),
    reportedBy: text('reported_by').notNull(),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
    lastSeenAt: text('last_seen_at').notNull(),
  },
  (t) => [
    uniqueIndex('suggestions_org_target_digest').on(t.orgId, t.targetId, t.digest),
    index('suggestions_org_state_score').on(t.orgId, t.state, t.score),
    foreignKey({ columns: [t.orgId, t.targetId], foreignColumns: [targets.orgId, targets.id] }),
    foreignKey({ columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] }),
    foreignKey({ columns: [t.orgId, t.environmentId], foreignColumns: [environments.orgId, environments.id] }),
    foreignKey({ columns: [t.orgId, t.reviewerUserId], foreignColumns: [users.orgId, users.id] }),
    foreignKey({ columns: [t.orgId, t.changeId], foreignColumns: [changes.orgId, changes.id] }),
  ],
);

export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    events: json<string[]>('events'),
    description: text('description'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('webhooks_org_id_id').on(t.orgId, t.id),
    foreignKey({ columns: [t.orgId], foreignColumns: [orgs.id] }),
  ],
);

export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    webhookId: text('webhook_id').notNull(),
    eventSeq: integer('event_seq').notNull(),
    status: text('status').$type<'pending' | 'delivered'>().notNull(),
    attempts: integer('attempts').notNull(),
    nextAttemptAt: text('next_attempt_at').notNull(),
    claimedUntil: text('claimed_until'),
    lastError: text('last_error'),
    deliveredAt: text('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_org_webhook').on(t.orgId, t.webhookId, t.eventSeq),
    foreignKey({ columns: [t.orgId, t.webhookId], foreignColumns: [webhooks.orgId, webhooks.id] }).onDelete('cascade'),
  ],
);

export const webhookDeadLetters = sqliteTable(
  'webhook_dead_letters',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    webhookId: text('webhook_id').notNull(),
    eventSeq: integer('event_seq').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error'),
    deadAt: text('dead_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_dead_letters_org_webhook').on(t.orgId, t.webhookId, t.eventSeq),
    foreignKey({ columns: [t.orgId, t.webhookId], foreignColumns: [webhooks.orgId, webhooks.id] }).onDelete('cascade'),
  ],
);

export const eventCursors = sqliteTable('event_cursors', {
  name: text('name').primaryKey(),
  seq: integer('seq').notNull(),
  updatedAt: text('updated_at').notNull(),
});

export const rateLimitCounts = sqliteTable(
  'rate_limit_counts',
  {
    key: text('key').notNull(),
    windowStart: integer('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);
