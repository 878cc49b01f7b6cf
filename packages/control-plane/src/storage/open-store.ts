import { IsotypError } from '@isotyp/protocol';
import { redactUrl } from './core/errors.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { OpenStoreOptions, Store } from './store.js';

/**
 * Opens the store a database URL names: `sqlite:<path>` (`sqlite::memory:` for a throwaway
 * one, `sqlite:///abs/path` also accepted) or `postgres://` / `postgresql://`. Call
 * `migrate()` before use.
 *
 * @example
 * const store = await openStore(config.database);
 * await store.migrate();
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const path = sqliteFile(url);
  if (path !== undefined) {
    if (path === '') throw invalid(url, 'The sqlite: URL names no file.');
    return openSqliteStore(path, options);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgresStore(url, options);
  throw invalid(url, 'The database URL names no supported database.');
}

/**
 * The file a `sqlite:` database URL names (`:memory:` for a private in-memory database, '' for
 * none), or undefined for any other URL. `sqlite:///var/lib/isotyp.db` is the URL form of
 * `sqlite:/var/lib/isotyp.db`.
 *
 * @example
 * sqliteFile('sqlite:./isotyp-cp.db') // './isotyp-cp.db'
 */
export function sqliteFile(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  const rest = url.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

function invalid(url: string, message: string): IsotypError {
  return new IsotypError('ISOTYP_CONFIG_INVALID', message, {
    hint: 'Use sqlite:<path> (e.g. sqlite:./isotyp-cp.db) or postgres://user:password@host:5432/database.',
    details: { database: redactUrl(url) },
  });
}
