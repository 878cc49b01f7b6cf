CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`identity_key_id` text NOT NULL,
	`identity_public_key` text NOT NULL,
	`certificate_serial` text NOT NULL,
	`certificate_not_after` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text,
	`last_seen_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `agents_org` ON `agents` (`org_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `agents_org_name` ON `agents` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `certificate_authorities` (
	`id` text PRIMARY KEY NOT NULL,
	`certificate_pem` text NOT NULL,
	`encrypted_key_pem` text NOT NULL,
	`created_at` text NOT NULL,
	`not_after` text NOT NULL,
	`retired_at` text
);
--> statement-breakpoint
CREATE TABLE `enrolment_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`agent_id` text,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `enrolment_tokens_org` ON `enrolment_tokens` (`org_id`,`created_at`);