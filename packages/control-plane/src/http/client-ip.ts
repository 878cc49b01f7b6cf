import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export interface ClientIpOptions {
  /**
   * Take the client address from X-Forwarded-For. Only turn this on behind a proxy you run that
   * appends the address it saw: the rightmost entry is then that address, while the entries to
   * its left were sent by the client and prove nothing.
   */
  trustProxy?: boolean;
}

/** Address used when no socket is known (`app.request()` in tests, other adapters). */
export const UNKNOWN_CLIENT = 'unknown';

/** The caller's IP address as the socket saw it (or the trusted proxy did). */
export function clientIp(c: Context, { trustProxy = false }: ClientIpOptions = {}): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? UNKNOWN_CLIENT;
  } catch {
    // No Node socket behind this request (`app.request()`): every such call shares one bucket.
    return UNKNOWN_CLIENT;
  }
}
