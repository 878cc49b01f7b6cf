import type {
  AgentCheckpointRecord,
  AgentHeartbeatRecord,
  AgentRecord,
  ApprovalRecord,
  ApproverKeyRecord,
  AuditEntryRecord,
  CertificateAuthorityRecord,
  ChangeRecord,
  CiTokenRecord,
  EnrolmentTokenRecord,
  EnvironmentRecord,
  LogKeyRecord,
  OrgRecord,
  ProjectRecord,
  RefreshTokenRecord,
  RoleGrantRecord,
  SchemaVersionRecord,
  SigningKeyRecord,
  SuggestionRecord,
  TargetRecord,
  TrustDocumentRecord,
  UserRecord,
  WebhookDeadLetterRecord,
  WebhookDeliveryRecord,
  WebhookRecord,
} from '../store.js';

/*
 * What each table stores, in record form (inserts take these), and the rows drizzle selects: a
 * record's optional field is a nullable column. Both schemas must select exactly `Rows` (each
 * store checks it at compile time with `SameRows`), which is what lets `core/` map and query
 * them once for both dialects.
 */

/** A record as a row: optional fields become required and nullable. */
export type RowOf<R> = { [K in keyof R]-?: undefined extends R[K] ? Exclude<R[K], undefined> | null : R[K] };

export interface Stored {
  orgs: OrgRecord;
  users: UserRecord;
  /** The scope union is flattened into a kind and two nullable ids (the foreign keys). */
  roleGrants: Omit<RoleGrantRecord, 'scope'> & {
    scopeKind: RoleGrantRecord['scope']['kind'];
    projectId?: string;
    environmentId?: string;
  };
  refreshTokens: RefreshTokenRecord;
  ciTokens: CiTokenRecord;
  signingKeys: SigningKeyRecord;
  projects: ProjectRecord;
  environments: EnvironmentRecord;
  targets: TargetRecord;
  schemaVersions: SchemaVersionRecord;
  trustDocuments: TrustDocumentRecord;
  approverKeys: ApproverKeyRecord;
  changes: ChangeRecord;
  approvals: ApprovalRecord;
  /** `status` and `body` stay unset while the claiming request is still running. */
  idempotencyKeys: {
    principal: string;
    key: string;
    requestHash: string;
    status?: number;
    body?: string;
    createdAt: string;
  };
  auditEntries: AuditEntryRecord;
  auditLogKeys: LogKeyRecord;
  agentCheckpoints: AgentCheckpointRecord;
  certificateAuthorities: CertificateAuthorityRecord;
  enrolmentTokens: EnrolmentTokenRecord;
  agents: AgentRecord;
  agentHeartbeats: AgentHeartbeatRecord;
  suggestions: SuggestionRecord;
  webhooks: WebhookRecord;
  webhookDeliveries: WebhookDeliveryRecord;
  webhookDeadLetters: WebhookDeadLetterRecord;
  /** Named positions in the audit log (`webhooks`: the last seq turned into deliveries). */
  eventCursors: { name: string; seq: number; updatedAt: string };
  /** Requests counted per rate-limit key and window, summed over every replica. */
  rateLimitCounts: { key: string; windowStart: number; count: number };
}

export type TableName = keyof Stored;

export type Rows = { [K in TableName]: RowOf<Stored[K]> } & {
  /** A surrogate id keeps the history in insertion order when two reports share a timestamp. */
  schemaVersions: { id: number };
};

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * `true` when every table of `Schema` selects exactly the neutral row; otherwise `false`, so
 * `const ok: SameRows<typeof tables> = true` stops the build when a schema drifts.
 */
export type SameRows<Schema extends { [K in TableName]: { $inferSelect: unknown } }> = false extends {
  [K in TableName]: Same<Schema[K]['$inferSelect'], Rows[K]>;
}[TableName]
  ? false
  : true;
