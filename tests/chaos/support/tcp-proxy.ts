import { createServer, connect as netConnect, type Socket } from 'node:net';

/** What passed through, or was turned away, so far. */
export interface ProxyCounts {
  /** Connections passed on to the upstream. */
  accepted: number;
  /** Connections reset on arrival while the link was cut. */
  refused: number;
  /** Open connections reset when the link was cut. */
  severed: number;
}

export interface TcpProxy {
  /** The loopback port to connect to instead of the upstream's. */
  port: number;
  counts: ProxyCounts;
  /** Cuts the link: resets every open connection and, until restore(), every new one. */
  sever(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A plain TCP relay on loopback in front of `upstream` — bytes in, bytes out; TLS passes
 * through untouched (the client still verifies the server and presents its certificate), so it
 * stands for the network between an agent and its control plane, which a test can cut.
 *
 * @example
 * const proxy = await tcpProxy({ host: '127.0.0.1', port: 7300 });
 * proxy.sever(); // connection resets, as a broken link gives
 * proxy.restore();
 */
export async function tcpProxy(upstream: { host: string; port: number }): Promise<TcpProxy> {
  let cut = false;
  const counts: ProxyCounts = { accepted: 0, refused: 0, severed: 0 };
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (cut) {
      counts.refused++;
      client.resetAndDestroy();
      return;
    }
    counts.accepted++;
    const server = netConnect(upstream.port, upstream.host);
    const pair: [Socket, Socket] = [client, server];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    for (const socket of pair) {
      socket.on('error', close);
      socket.on('close', close);
    }
    client.pipe(server);
    server.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    counts,
    sever() {
      cut = true;
      for (const [client, server] of [...pairs]) {
        counts.severed++;
        client.resetAndDestroy();
        server.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
    },
    close() {
      for (const [client, server] of pairs) {
        client.destroy();
        server.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
