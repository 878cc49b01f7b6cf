CREATE TABLE `agent_heartbeats` (
	`agent_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`version` text NOT NULL,
	`report` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `agent_heartbeats_org` ON `agent_heartbeats` (`org_id`);