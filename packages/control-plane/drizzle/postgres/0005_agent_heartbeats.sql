CREATE TABLE "agent_heartbeats" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL,
	"version" text NOT NULL,
	"report" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_heartbeats" ADD CONSTRAINT "agent_heartbeats_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_heartbeats_org" ON "agent_heartbeats" USING btree ("org_id");--> statement-breakpoint
CREATE TRIGGER "agent_heartbeats_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "agent_heartbeats"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
