CREATE TABLE "agent_checkpoints" (
	"org_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"ordinal" integer NOT NULL,
	"size" bigint NOT NULL,
	"root" text NOT NULL,
	"note" text NOT NULL,
	"vkey" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "agent_checkpoints_pk" PRIMARY KEY("org_id","agent_id","ordinal")
);
--> statement-breakpoint
CREATE TABLE "audit_log_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"public_key" text NOT NULL,
	"seed" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_checkpoints" ADD CONSTRAINT "agent_checkpoints_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
-- The log's signing key and the agents' accepted checkpoints are append-only, like the log:
-- a key swapped in place or a checkpoint removed would let a rewritten history pass.
CREATE FUNCTION "isotyp_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_keys_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_log_keys"
	FOR EACH ROW EXECUTE FUNCTION "isotyp_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_keys_no_truncate" BEFORE TRUNCATE ON "audit_log_keys"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_append_only"();
--> statement-breakpoint
CREATE TRIGGER "agent_checkpoints_no_update_delete" BEFORE UPDATE OR DELETE ON "agent_checkpoints"
	FOR EACH ROW EXECUTE FUNCTION "isotyp_append_only"();
--> statement-breakpoint
CREATE TRIGGER "agent_checkpoints_no_truncate" BEFORE TRUNCATE ON "agent_checkpoints"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_append_only"();
