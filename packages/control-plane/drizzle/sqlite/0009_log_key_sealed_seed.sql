-- The audit log key's seed is kept sealed under the server passphrase (storage/sealed-secrets.ts),
-- and sealed anew when the passphrase changes: its row may now be updated, but only its seed.
-- The key itself cannot change that way: a seed that is not the stored public key's is refused
-- when the log loads it.
DROP TRIGGER `audit_log_keys_no_update`;
--> statement-breakpoint
CREATE TRIGGER `audit_log_keys_seed_only` BEFORE UPDATE OF `id`, `name`, `public_key`, `created_at` ON `audit_log_keys`
BEGIN
	SELECT RAISE(ABORT, 'audit_log_keys is append-only: only the sealed seed may change');
END;
