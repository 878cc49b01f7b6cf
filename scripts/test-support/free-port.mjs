// A loopback port for a server a test or benchmark starts itself (plain JavaScript so that the
// scripts and benchmarks can import it as it is; types in free-port.d.mts).
import { createServer } from 'node:net';

/**
 * A port the kernel just handed out on 127.0.0.1, closed again: nothing listens on it now, though
 * another process could take it before the caller does (callers that race retry).
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
