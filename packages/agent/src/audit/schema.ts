import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

const APPEND_ONLY = (table: string) => `
CREATE TRIGGER IF NOT EXISTS ${table}_no_update BEFORE UPDATE ON ${table}
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: ${table} cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS ${table}_no_delete BEFORE DELETE ON ${table}
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: ${table} cannot be deleted from'); END;`;

/*
 * The triggers stop mistakes and casual edits; they are no defence against whoever holds the
 * file (who can drop them), which is why verify() recomputes everything from the entry text.
 * `state` is rewritten on every append, and `upstream` (the last checkpoint the control plane
 * accepted) on every accepted report, so they have no triggers.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, leaf BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, hashes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS upstream (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL, time TEXT NOT NULL);
${APPEND_ONLY('entries')}
${APPEND_ONLY('checkpoints')}
PRAGMA user_version = 1;`;

// Building this index parses every entry, so on a log whose index was dropped and an entry
// edited into something that is not JSON it fails: then the log opens without it, and
// verify() names the entry instead of open failing on it.
const ENTITY_INDEX = `CREATE INDEX IF NOT EXISTS entries_entity
  ON entries (json_extract(entry, '$.entity.kind'), json_extract(entry, '$.entity.id'))`;

/**
 * Opens (creating if needed) the audit database: directory 0700 and file 0600, since entries
 * name actors and entities. SQLite gives its -wal and -shm files the database file's mode.
 */
export function openAuditDb(path: string): Database.Database {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The mode passed to mkdir is masked by the umask; chmod is not.
    chmodSync(dir, 0o700);
  }
  if (!existsSync(path)) {
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  }
  const db = new Database(path);
  try {
    // WAL lets verify and the CLI read while the daemon appends; FULL makes each committed
    // batch durable across power loss, which an audit trail needs more than speed.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(DDL);
    try {
      db.exec(ENTITY_INDEX);
    } catch (error) {
      if (!/malformed JSON/.test(String(error))) throw error;
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
