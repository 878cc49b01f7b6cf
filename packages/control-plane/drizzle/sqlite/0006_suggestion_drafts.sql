ALTER TABLE `suggestions` ADD `draft` text;--> statement-breakpoint
ALTER TABLE `suggestions` ADD `drafted_at` text;