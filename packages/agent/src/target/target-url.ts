import { IsotypError } from '@isotyp/protocol';

/** A parsed target URL. Never log `url` for postgres targets: use `redactTargetUrl`. */
export type TargetUrl =
  | { dialect: 'sqlite'; path: string; display: string }
  | { dialect: 'postgres'; url: string; display: string };

/**
 * Parses `sqlite:<path>` (also `sqlite://<path>`) and `postgres://user[:password]@host:port/db`
 * (also `postgresql://`).
 *
 * @example
 * parseTargetUrl('sqlite:./chinook.db') // { dialect: 'sqlite', path: './chinook.db', … }
 */
export function parseTargetUrl(raw: string): TargetUrl {
  const text = raw.trim();
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=[./~]|[A-Za-z]:)/, '');
    if (path === '' || path === '//') invalid(raw, 'the sqlite: URL names no file');
    return { dialect: 'sqlite', path, display: `sqlite:${path}` };
  }
  if (/^postgres(?:ql)?:\/\//.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      invalid(raw, 'the postgres URL is malformed');
    }
    if (url.hostname === '' && !url.searchParams.has('host')) invalid(raw, 'the postgres URL names no host');
    return { dialect: 'postgres', url: text, display: redactTargetUrl(text) };
  }
  invalid(raw, 'unsupported scheme');
}

/** The URL with any password replaced by `***`, safe for logs, errors and the control plane. */
export function redactTargetUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    for (const key of ['password', 'sslpassword']) if (url.searchParams.has(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    // Not a URL we can parse: keep only the scheme so nothing secret can slip through.
    return `${raw.split(':')[0] ?? 'target'}:***`;
  }
}

function invalid(raw: string, why: string): never {
  throw new IsotypError('ISOTYP_TARGET_INVALID', `Invalid target URL ${redactTargetUrl(raw)}: ${why}.`, {
    hint: 'Use sqlite:<path> or postgres://user@host:port/db (put the password in PGPASSWORD).',
  });
}
