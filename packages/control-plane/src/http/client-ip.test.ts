import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientIp, UNKNOWN_CLIENT } from './client-ip.js';

function app(trustProxy: boolean) {
  const hono = new Hono();
  hono.get('/', (c) => c.text(clientIp(c, { trustProxy })));
  return hono;
}

/** The bindings @hono/node-server passes as `c.env`: the incoming message and its socket. */
const socketFrom = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress, remoteFamily: 'IPv4' } } });

describe('clientIp', () => {
  it('reads the socket address', async () => {
    const res = await app(false).request('/', {}, socketFrom('192.0.2.7'));
    expect(await res.text()).toBe('192.0.2.7');
  });

  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.9' };
    expect(await (await app(false).request('/', { headers }, socketFrom('192.0.2.7'))).text()).toBe('192.0.2.7');
  });

  it('behind a trusted proxy takes the rightmost forwarded address, which the proxy appended', async () => {
    const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' };
    expect(await (await app(true).request('/', { headers }, socketFrom('10.0.0.1'))).text()).toBe('203.0.113.9');
  });

  it('falls back to one shared address when there is no socket (app.request)', async () => {
    expect(await (await app(false).request('/')).text()).toBe(UNKNOWN_CLIENT);
  });
});
