export {
  type Advice,
  type AdviseOptions,
  adviseModel,
  adviseTarget,
  checkProposal,
  detectors,
  type RefusedSuggestion,
} from './advise/advise.js';
export type { AdviceContext, Detector } from './advise/detector.js';
export { draftFromSuggestion } from './advise/draft.js';
export { applyEdits } from './advise/edits.js';
export { LLM_MAX_RESPONSE_BYTES, type LlmOptions, type LlmOutcome, llmSuggestions } from './advise/llm/llm-provider.js';
export { type SchemaMetadata, schemaMetadata } from './advise/llm/schema-metadata.js';
export {
  APPLY_PHASES,
  type ApplyOptions,
  type ApplyPhase,
  type ApplyResult,
  applyPlan,
  verifyPlanFile,
} from './apply/apply.js';
export { changedObjects, type DriftReport, detectDrift } from './apply/drift.js';
export { type RollbackResult, rollbackLatest } from './apply/rollback.js';
export type { ChangeRunner, HistoryRecord, StepKey, StepRecord, StepStart, TargetSession } from './apply/session.js';
export { type ApprovedApplyOptions, type ApprovedApplyResult, applyApprovedChange } from './approval/apply-approved.js';
export { openTrustState, type TrustState } from './approval/trust-state.js';
export {
  type ApprovalEvidence,
  type LocalFacts,
  type VerifiedChange,
  verifyApprovedChange,
} from './approval/verify-approved-change.js';
export {
  type AuditCheckpoint,
  type AuditLog,
  type AuditLogOptions,
  type AuditProof,
  openAuditLog,
} from './audit/audit-log.js';
export {
  buildCheckpointReport,
  type CheckpointReport,
  checkpointDue,
  verifyControlPlaneLog,
} from './audit/checkpoint-exchange.js';
export type { AuditEntity, AuditEntry, NewAuditEntry } from './audit/entry.js';
export { readControlPlaneLog, sendCheckpoint } from './audit/upstream-client.js';
export type { AuditVerification } from './audit/verify.js';
export { loadDesiredSqlite } from './desired/load-sqlite.js';
export { type Directives, parseDirectives, readSchemaSource, type SchemaFile } from './desired/schema-source.js';
export type { Dialect, DialectCapabilities, DialectConnection } from './dialects/dialect.js';
export {
  connectionError,
  type DesiredFile,
  type IntrospectOptions,
  introspectPostgres,
  type LoadDesiredOptions,
  loadDesiredPostgres,
  openPostgres,
  type PostgresTarget,
  postgresDialect,
  readRowCounts,
} from './dialects/postgres/index.js';
export { postgresPlanner } from './dialects/postgres/planner.js';
export { type PostgresRunnerOptions, postgresRunner } from './dialects/postgres/runner.js';
export { executeSqlite } from './dialects/sqlite/execute.js';
export { openSqlite, type SqliteTarget, sqliteDialect } from './dialects/sqlite/index.js';
export { sqlitePlanner } from './dialects/sqlite/planner.js';
export { sqliteRunner } from './dialects/sqlite/runner.js';
export type { Change, RenameCandidate, RenameHint, TableChange } from './diff/changes.js';
export { diffSchemas } from './diff/diff.js';
export { connectTarget, type InspectResult, inspectTarget } from './inspect.js';
export { describeRules, type Finding, type LintConfig, type LintSuppression, lintChange } from './lint/lint.js';
export { type LocalPlan, type LocalPlanOptions, migrationDialect, openRunner, planTarget } from './local.js';
export {
  applyMigrations,
  type MigrationDialect,
  type MigrationStatus,
  migrationStatus,
  type NewMigration,
  newMigration,
  readMigrationDir,
} from './migrate/migrate.js';
export { createPlan, type PlanResult } from './plan/create-plan.js';
export type { DialectPlanner, PlanOptions } from './plan/dialect-planner.js';
export { buildManifest, wireLint } from './plan/manifest.js';
export { bumpVersion, type SemverBump, semverBump } from './plan/semver.js';
export {
  hashInstallation,
  INSTALLED_PACKAGES,
  type InstallationCheck,
  signInstallation,
  verifyInstallation,
} from './release/installation.js';
export { byName, schemaDigest, summarizeModel } from './schema/schema-digest.js';
export { encryptedFileStore } from './secrets/encrypted-file.js';
export { type FileLockOptions, withFileLock } from './secrets/file-lock.js';
export { KEYCHAIN_SERVICE, keychainStore, keychainUnavailable } from './secrets/keychain.js';
export { type OpenedSecretStore, openSecretStore, VAULT_CREDENTIAL } from './secrets/open-secret-store.js';
export { assertSecretName, SECRET_NAME, type SecretStore } from './secrets/secret-store.js';
export { hasSecretReference, resolveTargetSecrets } from './secrets/target-secrets.js';
export { parseTargetUrl, redactTargetUrl, type TargetUrl } from './target/target-url.js';
