CREATE TABLE `agent_checkpoints` (
	`org_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`size` integer NOT NULL,
	`root` text NOT NULL,
	`note` text NOT NULL,
	`vkey` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `agent_id`, `ordinal`),
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `audit_log_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`public_key` text NOT NULL,
	`seed` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
-- The log's signing key and the agents' accepted checkpoints are append-only, like the log:
-- a key swapped in place or a checkpoint removed would let a rewritten history pass.
CREATE TRIGGER `audit_log_keys_no_update` BEFORE UPDATE ON `audit_log_keys`
BEGIN
	SELECT RAISE(ABORT, 'audit_log_keys is append-only: UPDATE refused');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_keys_no_delete` BEFORE DELETE ON `audit_log_keys`
BEGIN
	SELECT RAISE(ABORT, 'audit_log_keys is append-only: DELETE refused');
END;
--> statement-breakpoint
CREATE TRIGGER `agent_checkpoints_no_update` BEFORE UPDATE ON `agent_checkpoints`
BEGIN
	SELECT RAISE(ABORT, 'agent_checkpoints is append-only: UPDATE refused');
END;
--> statement-breakpoint
CREATE TRIGGER `agent_checkpoints_no_delete` BEFORE DELETE ON `agent_checkpoints`
BEGIN
	SELECT RAISE(ABORT, 'agent_checkpoints is append-only: DELETE refused');
END;
