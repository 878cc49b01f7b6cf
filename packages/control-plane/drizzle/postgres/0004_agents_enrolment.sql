CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"identity_key_id" text NOT NULL,
	"identity_public_key" text NOT NULL,
	"certificate_serial" text NOT NULL,
	"certificate_not_after" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"last_seen_at" timestamp (3) with time zone,
	CONSTRAINT "agents_org_name" UNIQUE("org_id","name")
);
--> statement-breakpoint
CREATE TABLE "certificate_authorities" (
	"id" text PRIMARY KEY NOT NULL,
	"certificate_pem" text NOT NULL,
	"encrypted_key_pem" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"not_after" timestamp (3) with time zone NOT NULL,
	"retired_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "enrolment_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	"agent_id" text
);
--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolment_tokens" ADD CONSTRAINT "enrolment_tokens_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agents_org" ON "agents" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "enrolment_tokens_org" ON "enrolment_tokens" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE TRIGGER "certificate_authorities_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "certificate_authorities"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "enrolment_tokens_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "enrolment_tokens"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "agents_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "agents"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
