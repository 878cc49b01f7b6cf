import { IsotypError } from '@isotyp/protocol';

/** Where the console lands after sign-in when it names no page. */
export const DEFAULT_RETURN_TO = '/console/';
const MAX_RETURN_TO_CHARS = 2048;
const BASE = 'https://return-to.invalid';

/**
 * Checks a post-sign-in destination: only a path on this server (`/console/changes?x=1`) is
 * accepted, so the sign-in cannot be used to bounce a user to another site (open redirect).
 * Absolute URLs, scheme-relative `//host`, backslashes (`/\host`, which browsers read as `//`),
 * and control characters or spaces (which URL parsers strip, turning `/\t/host` into `//host`)
 * are refused. Returns the normalised path.
 *
 * @example
 * safeReturnTo('/console/changes') // '/console/changes'
 * safeReturnTo('//evil.example')   // throws ISOTYP_INVALID_INPUT
 */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || value === '') return DEFAULT_RETURN_TO;
  const refuse = () =>
    new IsotypError('ISOTYP_INVALID_INPUT', 'return_to must be a path on this server, such as /console/.', {
      hint: 'Pass a relative path that starts with a single slash.',
      details: { parameter: 'return_to' },
    });
  if (value.length > MAX_RETURN_TO_CHARS) throw refuse();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\s\u0000-\u001f\u007f]/.test(value)) throw refuse();
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    throw refuse();
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (url.origin !== BASE || path.startsWith('//')) throw refuse();
  return path;
}
