CREATE TABLE `suggestions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`target_id` text NOT NULL,
	`digest` text NOT NULL,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`objects` text NOT NULL,
	`impact` text NOT NULL,
	`confidence` real NOT NULL,
	`risk` text NOT NULL,
	`score` integer NOT NULL,
	`edit_count` integer NOT NULL,
	`state` text NOT NULL,
	`reviewer_user_id` text,
	`reason` text,
	`reviewed_at` text,
	`snoozed_until` text,
	`change_id` text,
	`reported_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	FOREIGN KEY (`org_id`,`target_id`) REFERENCES `targets`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`project_id`) REFERENCES `projects`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`environment_id`) REFERENCES `environments`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`reviewer_user_id`) REFERENCES `users`(`org_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`change_id`) REFERENCES `changes`(`org_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suggestions_org_target_digest` ON `suggestions` (`org_id`,`target_id`,`digest`);--> statement-breakpoint
CREATE INDEX `suggestions_org_state_score` ON `suggestions` (`org_id`,`state`,`score`);