-- The audit log is append-only (store.ts, AuditEntryRecord): the database itself refuses to
-- change or remove an entry, whoever asks.
CREATE TRIGGER `audit_entries_no_update` BEFORE UPDATE ON `audit_entries`
BEGIN
	SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_entries_no_delete` BEFORE DELETE ON `audit_entries`
BEGIN
	SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused');
END;
