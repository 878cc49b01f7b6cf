-- Every replica keeps caches of what it reads (Store.stamp): each table announces a committed
-- write on the channel isotyp_store_changed, with its name as the payload, so that the other
-- replicas drop what they read from it. Notifications go out at commit, one per table and
-- transaction; a rolled-back write sends none. A new table needs the same trigger (a store test
-- checks every table has it).
CREATE FUNCTION "isotyp_store_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('isotyp_store_changed', TG_TABLE_NAME);
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "orgs_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "orgs"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "users_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "users"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "projects_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "projects"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "environments_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "environments"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "role_grants_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "role_grants"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "refresh_tokens_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "refresh_tokens"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "ci_tokens_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "ci_tokens"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "signing_keys_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "signing_keys"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "targets_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "targets"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "schema_versions_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "schema_versions"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "trust_documents_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trust_documents"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "approver_keys_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "approver_keys"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "changes_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "changes"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "approvals_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "approvals"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "idempotency_keys_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "idempotency_keys"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "audit_entries_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "audit_entries"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_keys_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "audit_log_keys"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "agent_checkpoints_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "agent_checkpoints"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
