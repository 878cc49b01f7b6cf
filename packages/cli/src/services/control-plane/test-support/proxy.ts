import { createServer } from 'node:http';

/** What passes through a proxy: the request as bytes (for recorders) and the answer's JSON. */
export interface ProxyHooks {
  /** Sees every request exactly as it arrived: request line, headers, body. */
  onRequest?: (raw: string) => void;
  /** Rewrites a JSON answer (given the request path) before it is passed on. */
  tamper?: (path: string, body: unknown) => unknown;
}

/**
 * An HTTP proxy on loopback in front of `upstream`: a control plane as a recorder sees it
 * (egress tests) or as an attacker rewrites it (hostile control-plane tests). Everything else is
 * passed on unchanged.
 *
 * @example
 * const proxy = await controlPlaneProxy(cp.url, { tamper: (path, body) => body });
 */
export async function controlPlaneProxy(
  upstream: string,
  hooks: ProxyHooks = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks);
    hooks.onRequest?.(`${req.method} ${req.url}\n${req.rawHeaders.join('\n')}\n\n${payload.toString('utf8')}`);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k),
      ),
    ) as Record<string, string>;
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(payload.length > 0 ? { body: payload } : {}),
    });
    let out: Buffer | string = Buffer.from(await answer.arrayBuffer());
    if (hooks.tamper !== undefined) {
      try {
        out = JSON.stringify(hooks.tamper((req.url ?? '').split('?')[0] ?? '', JSON.parse(out.toString('utf8'))));
      } catch {
        // Not JSON: passed on as it is.
      }
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
