import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { z } from 'zod';
import { ensurePrivateDir, writePrivateFile } from './files.js';

/** What `isotyp login` keeps between commands: `$ISOTYP_HOME/session.json`, mode 0600. */
export const sessionSchema = z.object({
  server: z.string().min(1),
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  /** When the access token expires (RFC 3339). */
  expiresAt: z.string(),
  /** The organisation id the session belongs to. */
  org: z.string(),
  email: z.string(),
});
export type Session = z.infer<typeof sessionSchema>;

/** A refresh holds the lock at most this long before another process may take it over. */
const STALE_LOCK_MS = 15_000;
const LOCK_WAIT_MS = 10_000;

/**
 * The session file of one `$ISOTYP_HOME`. Writes are atomic (a reader never sees half a file)
 * and the file is readable by its owner only, since it holds a refresh token.
 *
 * @example
 * const sessions = new SessionFile(isotypHome());
 * sessions.write({ server, accessToken, refreshToken, expiresAt, org, email });
 */
export class SessionFile {
  readonly path: string;
  readonly #home: string;

  constructor(home: string) {
    this.#home = home;
    this.path = join(home, 'session.json');
  }

  /** The saved session, or undefined when nobody is signed in. */
  read(): Session | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new IsotypError('ISOTYP_CONFIG_INVALID', `The session file ${this.path} cannot be read.`, {
        hint: 'Check its permissions, or sign in again with isotyp login.',
        cause: error,
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const parsed = sessionSchema.safeParse(value);
    if (!parsed.success) {
      // Never echo the content: it holds tokens.
      throw new IsotypError('ISOTYP_CONFIG_INVALID', `The session file ${this.path} is damaged.`, {
        hint: 'Sign in again with isotyp login (it replaces the file).',
      });
    }
    return parsed.data;
  }

  write(session: Session): void {
    ensurePrivateDir(this.#home);
    writePrivateFile(this.path, `${JSON.stringify(sessionSchema.parse(session), null, 2)}\n`, { overwrite: true });
  }

  /** Removes the session; true when there was one. */
  delete(): boolean {
    try {
      statSync(this.path);
    } catch {
      return false;
    }
    rmSync(this.path, { force: true });
    return true;
  }

  /**
   * Runs `fn` while holding `session.json.lock`, so two commands whose access token expired at
   * the same moment do not both spend the same refresh token (the server would take the second
   * use for a stolen token and end the session).
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    ensurePrivateDir(this.#home);
    const lock = `${this.path}.lock`;
    // Loaded here, not at the top: only a token refresh takes the lock, and the agent package
    // costs every other command start-up time.
    const { withFileLock } = await import('@isotyp/agent');
    return withFileLock(lock, fn, {
      waitMs: LOCK_WAIT_MS,
      staleMs: STALE_LOCK_MS,
      timeout: () =>
        new IsotypError('ISOTYP_TIMEOUT', 'Another isotyp command is refreshing the session.', {
          hint: `Retry; if no other command is running, delete ${lock}.`,
        }),
    });
  }
}

/**
 * A control-plane URL as given (`--server`, ISOTYP_SERVER, the session), checked and reduced to
 * its origin and path: credentials, query and fragment have no business in it.
 *
 * @example
 * normalizeServer('https://cp.example.com/'); // 'https://cp.example.com'
 */
export function normalizeServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new IsotypError('ISOTYP_USAGE', 'The server URL is not a URL.', {
      hint: 'Pass --server https://isotyp.example.com (or set ISOTYP_SERVER).',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IsotypError('ISOTYP_USAGE', `The server URL must use https or http, not ${url.protocol}`, {
      hint: 'Pass --server https://isotyp.example.com (or set ISOTYP_SERVER).',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new IsotypError('ISOTYP_USAGE', 'The server URL must not carry a user name or password.', {
      hint: 'Sign in with isotyp login; the password is read from --password-stdin or ISOTYP_PASSWORD.',
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
