CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`change_id` text NOT NULL,
	`layer` text NOT NULL,
	`decision` text NOT NULL,
	`user_id` text NOT NULL,
	`key_id` text NOT NULL,
	`nonce` text NOT NULL,
	`expires_at` text NOT NULL,
	`envelope` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`change_id`) REFERENCES `changes`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approvals_org_nonce` ON `approvals` (`org_id`,`nonce`);--> statement-breakpoint
CREATE INDEX `approvals_org_change` ON `approvals` (`org_id`,`change_id`);--> statement-breakpoint
CREATE TABLE `approver_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`public_key` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text,
	FOREIGN KEY (`org_id`,`user_id`) REFERENCES `users`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `approver_keys_org` ON `approver_keys` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `audit_entries` (
	`seq` integer PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`time` text NOT NULL,
	`action` text NOT NULL,
	`entity_kind` text NOT NULL,
	`entity_id` text NOT NULL,
	`entry` text NOT NULL,
	`leaf_hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_entries_entity` ON `audit_entries` (`org_id`,`entity_kind`,`entity_id`,`seq`);--> statement-breakpoint
CREATE TABLE `changes` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`target_id` text NOT NULL,
	`title` text NOT NULL,
	`state` text NOT NULL,
	`from_digest` text NOT NULL,
	`to_digest` text NOT NULL,
	`plan_digest` text NOT NULL,
	`manifest_digest` text NOT NULL,
	`from_version` text NOT NULL,
	`to_version` text NOT NULL,
	`bump` text NOT NULL,
	`manifest` text NOT NULL,
	`lint` text NOT NULL,
	`submission` text NOT NULL,
	`author_user_id` text NOT NULL,
	`author_key_id` text NOT NULL,
	`policy_version` integer NOT NULL,
	`revision` integer NOT NULL,
	`reason` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`target_id`) REFERENCES `targets`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`project_id`) REFERENCES `projects`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`environment_id`) REFERENCES `environments`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `changes_org_created` ON `changes` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `changes_org_project_created` ON `changes` (`org_id`,`project_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `changes_org_environment_created` ON `changes` (`org_id`,`environment_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `changes_org_target_created` ON `changes` (`org_id`,`target_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `changes_org_state` ON `changes` (`org_id`,`state`);--> statement-breakpoint
CREATE UNIQUE INDEX `changes_org_id_id` ON `changes` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `ci_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`project_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`actions` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text,
	`revoked_at` text,
	`last_used_at` text,
	FOREIGN KEY (`org_id`,`project_id`) REFERENCES `projects`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`environment_id`) REFERENCES `environments`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ci_tokens_org` ON `ci_tokens` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `environments` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`privacy_mode` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`project_id`) REFERENCES `projects`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `environments_org_project` ON `environments` (`org_id`,`project_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `environments_org_id_id` ON `environments` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`principal` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer,
	`body` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`principal`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_org_id_id` ON `projects` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`org_id` text NOT NULL,
	`family_id` text NOT NULL,
	`expires_at` text NOT NULL,
	`created_at` text NOT NULL,
	`used_at` text,
	`revoked_at` text,
	FOREIGN KEY (`org_id`,`user_id`) REFERENCES `users`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_family` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `role_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`scope_kind` text NOT NULL,
	`project_id` text,
	`environment_id` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`user_id`) REFERENCES `users`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`project_id`) REFERENCES `projects`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`environment_id`) REFERENCES `environments`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "role_grants_scope" CHECK(("role_grants"."scope_kind" = 'org' AND "role_grants"."project_id" IS NULL AND "role_grants"."environment_id" IS NULL)
        OR ("role_grants"."scope_kind" = 'project' AND "role_grants"."project_id" IS NOT NULL AND "role_grants"."environment_id" IS NULL)
        OR ("role_grants"."scope_kind" = 'environment' AND "role_grants"."project_id" IS NOT NULL AND "role_grants"."environment_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `role_grants_org_user` ON `role_grants` (`org_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `schema_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`target_id` text NOT NULL,
	`org_id` text NOT NULL,
	`version` text NOT NULL,
	`digest` text NOT NULL,
	`change_id` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`target_id`) REFERENCES `targets`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `schema_versions_org_target` ON `schema_versions` (`org_id`,`target_id`,`id`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk` text NOT NULL,
	`created_at` text NOT NULL,
	`retired_at` text
);
--> statement-breakpoint
CREATE TABLE `targets` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`name` text NOT NULL,
	`dialect` text NOT NULL,
	`agent_id` text,
	`version` text,
	`digest` text,
	`updated_at` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`project_id`) REFERENCES `projects`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`environment_id`) REFERENCES `environments`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `targets_org_project` ON `targets` (`org_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `targets_org_environment` ON `targets` (`org_id`,`environment_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `targets_org_id_id` ON `targets` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `trust_documents` (
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`version` integer NOT NULL,
	`document` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `kind`, `version`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text,
	`oidc_issuer` text,
	`oidc_subject` text,
	`disabled` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_org_email` ON `users` (`org_id`,`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_oidc_identity` ON `users` (`oidc_issuer`,`oidc_subject`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_org_id_id` ON `users` (`org_id`,`id`);