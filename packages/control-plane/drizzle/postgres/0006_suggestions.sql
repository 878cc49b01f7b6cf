CREATE TABLE "suggestions" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"project_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"target_id" text NOT NULL,
	"digest" text NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"objects" text NOT NULL,
	"impact" text NOT NULL,
	"confidence" double precision NOT NULL,
	"risk" text NOT NULL,
	"score" integer NOT NULL,
	"edit_count" integer NOT NULL,
	"state" text NOT NULL,
	"reviewer_user_id" text,
	"reason" text,
	"reviewed_at" timestamp (3) with time zone,
	"snoozed_until" timestamp (3) with time zone,
	"change_id" text,
	"reported_by" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "suggestions" ADD CONSTRAINT "suggestions_org_id_target_id_targets_org_id_id_fk" FOREIGN KEY ("org_id","target_id") REFERENCES "public"."targets"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggestions" ADD CONSTRAINT "suggestions_org_id_project_id_projects_org_id_id_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggestions" ADD CONSTRAINT "suggestions_org_id_environment_id_environments_org_id_id_fk" FOREIGN KEY ("org_id","environment_id") REFERENCES "public"."environments"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggestions" ADD CONSTRAINT "suggestions_org_id_reviewer_user_id_users_org_id_id_fk" FOREIGN KEY ("org_id","reviewer_user_id") REFERENCES "public"."users"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggestions" ADD CONSTRAINT "suggestions_org_id_change_id_changes_org_id_id_fk" FOREIGN KEY ("org_id","change_id") REFERENCES "public"."changes"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "suggestions_org_target_digest" ON "suggestions" USING btree ("org_id","target_id","digest");--> statement-breakpoint
CREATE INDEX "suggestions_org_state_score" ON "suggestions" USING btree ("org_id","state","score");--> statement-breakpoint
CREATE TRIGGER "suggestions_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "suggestions"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
