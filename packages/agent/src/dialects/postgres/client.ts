import { IsotypError } from '@isotyp/protocol';
import pg from 'pg';
import { redactTargetUrl } from '../../target/target-url.js';

export interface PostgresTarget {
  /** `postgres://user[:password]@host:port/db`; may carry libpq parameters such as `sslmode`. */
  url: string;
  /**
   * Password to use when the URL has none (the caller reads it from its configuration, e.g.
   * PGPASSWORD). When neither is set, the driver falls back to PGPASSWORD itself, like libpq.
   */
  password?: string;
  /** How long to wait for the server to accept the connection; default 10 s. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens one `pg.Client` to the target, turning every way a connection can fail into an
 * IsotypError whose text never contains the password.
 *
 * @example
 * const client = await openPostgres({ url: 'postgres://isotyp@db:5432/app' });
 */
export async function openPostgres(target: PostgresTarget): Promise<pg.Client> {
  const display = redactTargetUrl(target.url);
  const client = new pg.Client({
    connectionString: withPassword(target.url, target.password),
    application_name: 'isotyp',
    connectionTimeoutMillis: target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
  // A server that goes away later emits 'error' on the client; without a listener Node would
  // crash the process. The query in flight fails with the same error, which callers handle.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectionError(error, display);
  }
  return client;
}

/** The URL with `password` filled in when it names none; for the driver only, never shown. */
function withPassword(raw: string, password: string | undefined): string {
  if (password === undefined || password === '') return raw;
  try {
    const url = new URL(raw);
    if (url.password !== '') return raw;
    url.password = password;
    return url.toString();
  } catch {
    // Not a URL the WHATWG parser takes: hand it to the driver as it is and let it explain.
    return raw;
  }
}

/** The SQLSTATE of a server error, or null for anything else (network, driver, bug). */
export function sqlStateOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * True when `error` means the connection is gone: the server closed it (SQLSTATE classes 08
 * and 57P), the network failed (Node's E… codes), or the driver says so.
 */
export function isConnectionLoss(error: unknown): boolean {
  const sqlState = sqlStateOf(error);
  if (sqlState !== null) return sqlState.startsWith('08') || sqlState.startsWith('57P');
  const { code, message = '' } = (error ?? {}) as DriverError;
  return (
    (typeof code === 'string' && /^E[A-Z]+$/.test(code)) ||
    /connection (terminated|ended|error)|not queryable|timeout/i.test(message)
  );
}

interface DriverError {
  code?: string;
  message?: string;
}

/** Maps a failure to connect into ISOTYP_TARGET_UNREACHABLE with a precise sentence and hint. */
export function connectionError(error: unknown, display: string): IsotypError {
  const { code, message = '' } = (error ?? {}) as DriverError;
  const details = { target: display, driverCode: code ?? null };
  const unreachable = (sentence: string, hint: string): IsotypError =>
    new IsotypError('ISOTYP_TARGET_UNREACHABLE', sentence, { hint, details, cause: error });

  switch (code) {
    case 'ECONNREFUSED':
      return unreachable(
        `Nothing accepted the connection to ${display}: connection refused.`,
        'Check that PostgreSQL is running and listening on that host and port.',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unreachable(
        `The host of ${display} could not be resolved (DNS lookup failed).`,
        'Check the host name in the target URL and this machine’s DNS settings.',
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return unreachable(
        `${display} did not answer: the network path to it failed (${code}).`,
        'Check the host, port and any firewall between this machine and the database.',
      );
    case '28P01':
      return unreachable(
        `PostgreSQL at ${display} rejected the password for that user.`,
        'Check the user name and the password (in the URL or PGPASSWORD).',
      );
    case '28000':
      return unreachable(
        `PostgreSQL at ${display} refused the login: ${firstLine(message)}.`,
        'Check the user name, and that pg_hba.conf allows this host, user and database.',
      );
    case '3D000':
      return unreachable(
        `The database named in ${display} does not exist on that server.`,
        'Check the database name after the last / in the target URL (createdb makes one).',
      );
    case '57P03':
    case '53300':
      return unreachable(
        `PostgreSQL at ${display} cannot take a connection now: ${firstLine(message)}.`,
        'Retry shortly; the server is starting up, shutting down or at its connection limit.',
      );
    default:
      break;
  }
  if (/timeout/i.test(message)) {
    return unreachable(
      `${display} did not accept the connection in time (connect timeout).`,
      'Check the host and port, and that nothing between here and the server drops the connection.',
    );
  }
  if (/client password must be a (non-empty )?string/i.test(message)) {
    return unreachable(
      `PostgreSQL at ${display} asked for a password and none was given.`,
      'Put the password in PGPASSWORD (preferred) or in the target URL.',
    );
  }
  return unreachable(
    `Could not connect to ${display}: ${firstLine(message) || 'unknown error'}.`,
    'Check the target URL, that the server is up, and the network between here and it.',
  );
}

/** The driver's first line, without a trailing period: enough to act on, never a dump. */
function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/\.$/, '');
}
