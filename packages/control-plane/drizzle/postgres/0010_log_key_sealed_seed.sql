-- The audit log key's seed is kept sealed under the server passphrase (storage/sealed-secrets.ts),
-- and sealed anew when the passphrase changes: its row may now be updated, but only its seed.
-- The key itself cannot change that way: a seed that is not the stored public key's is refused
-- when the log loads it.
DROP TRIGGER "audit_log_keys_no_update_delete" ON "audit_log_keys";
--> statement-breakpoint
CREATE FUNCTION "isotyp_log_key_seed_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.id IS DISTINCT FROM OLD.id OR NEW.name IS DISTINCT FROM OLD.name
		OR NEW.public_key IS DISTINCT FROM OLD.public_key OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
		RAISE EXCEPTION 'audit_log_keys is append-only: only the sealed seed may change' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_keys_seed_only" BEFORE UPDATE ON "audit_log_keys"
	FOR EACH ROW EXECUTE FUNCTION "isotyp_log_key_seed_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_keys_no_delete" BEFORE DELETE ON "audit_log_keys"
	FOR EACH ROW EXECUTE FUNCTION "isotyp_append_only"();
