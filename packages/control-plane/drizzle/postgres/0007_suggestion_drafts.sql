ALTER TABLE "suggestions" ADD COLUMN "draft" text;--> statement-breakpoint
ALTER TABLE "suggestions" ADD COLUMN "drafted_at" timestamp (3) with time zone;