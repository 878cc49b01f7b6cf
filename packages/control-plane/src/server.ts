import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { IsotypError } from '@isotyp/protocol';
import type { Logger } from 'pino';

export interface StartServerOptions {
  /** Anything with a fetch handler: the app from `createApp`. */
  app: { fetch: (request: Request) => Response | Promise<Response> };
  host: string;
  /** 0 picks a free port; the one chosen is in the result. */
  port: number;
  logger: Logger;
  /** Longest wait for in-flight requests on close before their connections are cut. */
  shutdownTimeoutMs?: number;
  /** Time a client has to send all request headers (slowloris). */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included. */
  requestTimeoutMs?: number;
  /**
   * Idle time before a kept-alive connection is closed: longer than an agent's heartbeat interval
   * (30 s ± 10 %), so an agent that only heartbeats keeps its TLS connection instead of paying a
   * full handshake (an RSA signature on each side) every time, and longer than the usual 60 s
   * idle timeout of a load balancer in front, so it is never the server that closes a connection
   * the balancer is about to reuse.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Serve HTTPS. Clients may present a certificate (agents do, people and CI jobs do not): it is
   * checked against `ca` by Node's TLS and routes read the outcome from the socket; a missing
   * or foreign certificate does not end the handshake, it just authenticates nobody.
   */
  tls?: TlsOptions;
}

export interface TlsOptions {
  key: string;
  cert: string;
  /** CA certificates that client certificates must chain to. */
  ca: string[];
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then resolves. */
  close(): Promise<void>;
  /** Swaps the server certificate (or CA list) for new connections; open ones keep theirs. */
  setTls?(tls: TlsOptions): void;
}

/**
 * Connections waiting to be accepted. Node's default, 511, overflows when a fleet of agents
 * reconnects at once (a control-plane restart, a network blip): the main thread also runs the TLS
 * handshakes, so it accepts in bursts, and each connection dropped from a full queue is only
 * retried by its client's SYN a second later, then three. The kernel caps it at
 * net.core.somaxconn (4096 on current kernels).
 */
const LISTEN_BACKLOG = 4096;

/**
 * Serves `app` over HTTP: the one place in the control plane that listens. Timeouts are short
 * enough that a client trickling headers or a body cannot hold a connection for long.
 *
 * @example
 * const server = await startServer({ app, host: '127.0.0.1', port: 0, logger });
 * await fetch(`${server.url}/healthz`);
 * await server.close();
 */
export function startServer({
  app,
  host,
  port,
  logger,
  shutdownTimeoutMs = 10_000,
  headersTimeoutMs = 10_000,
  requestTimeoutMs = 30_000,
  keepAliveTimeoutMs = 65_000,
  tls,
}: StartServerOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new IsotypError('ISOTYP_UNAVAILABLE', `Cannot listen on ${host}:${port}: ${error.code ?? error.message}.`, {
          hint: error.code === 'EADDRINUSE' ? 'Another process uses that port; pick another with --port.' : undefined,
          cause: error,
        }),
      );
    };
    server = createAdaptorServer({
      fetch: app.fetch,
      hostname: host,
      ...(tls === undefined ? {} : { createServer: createHttpsServer }),
      serverOptions: {
        ...(tls === undefined ? {} : { ...tls, requestCert: true, rejectUnauthorized: false }),
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        keepAliveTimeout: keepAliveTimeoutMs,
        // Checks the two timeouts above this often (default 30 s would let them overrun).
        connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
      },
    });
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      const scheme = tls === undefined ? 'http' : 'https';
      const url = `${scheme}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ url }, 'control plane listening');
      resolve({
        url,
        port: address.port,
        close: closer(server, shutdownTimeoutMs, logger),
        ...(tls === undefined
          ? {}
          : { setTls: (next: TlsOptions) => (server as import('node:https').Server).setSecureContext(next) }),
      });
    });
    server.once('error', onError);
  });
}

function closer(server: ServerType, timeoutMs: number, logger: Logger): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve, reject) => {
      logger.info('control plane closing');
      const http = server as import('node:http').Server;
      const force = setTimeout(() => {
        logger.warn({ timeoutMs }, 'requests still running at shutdown; closing their connections');
        http.closeAllConnections();
      }, timeoutMs);
      force.unref();
      // close() stops accepting and closes the connections idle right now; a kept-alive
      // connection whose request finishes later would stay open until the client drops it, so
      // idle ones are swept until the last is gone.
      const sweep = setInterval(() => http.closeIdleConnections(), 50);
      sweep.unref();
      http.close((error) => {
        clearTimeout(force);
        clearInterval(sweep);
        if (error) reject(error);
        else resolve();
      });
      http.closeIdleConnections();
    });
    return closing;
  };
}
