import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

const logger = createLogger({ level: 'silent' });

/** An app whose /slow answers when the test says so. */
function slowApp() {
  const waiting: Array<() => void> = [];
  const app = new Hono();
  app.get('/fast', (c) => c.text('fast'));
  app.get('/slow', async (c) => {
    await new Promise<void>((resolve) => waiting.push(resolve));
    return c.text('slow done');
  });
  const release = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  return { app, release, waiting: () => waiting.length };
}

describe('startServer', () => {
  it('listens on the port the OS picked for port 0 and reports it', async () => {
    const { app } = slowApp();
    const server = await startServer({ app, host: '127.0.0.1', port: 0, logger });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(await (await fetch(`${server.url}/fast`)).text()).toBe('fast');
    } finally {
      await server.close();
    }
  });

  it('keeps a listen queue a reconnecting fleet fits in, not Node’s 511', async () => {
    const { app } = slowApp();
    const server = await startServer({ app, host: '127.0.0.1', port: 0, logger });
    try {
      // For a listening socket, ss's Send-Q column is its backlog (capped by net.core.somaxconn).
      const [, , backlog] = execFileSync('ss', ['-Hltn', `sport = :${server.port}`], { encoding: 'utf8' })
        .trim()
        .split(/\s+/);
      const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
      expect(Number(backlog)).toBe(Math.min(4096, cap));
      expect(Number(backlog)).toBeGreaterThan(511);
    } finally {
      await server.close();
    }
  });

  it('refuses to start on a port in use with ISOTYP_UNAVAILABLE', async () => {
    const { app } = slowApp();
    const first = await startServer({ app, host: '127.0.0.1', port: 0, logger });
    try {
      await expect(startServer({ app, host: '127.0.0.1', port: first.port, logger })).rejects.toMatchObject({
        code: 'ISOTYP_UNAVAILABLE',
      });
    } finally {
      await first.close();
    }
  });

  it('on close stops accepting but lets the request in flight finish', async () => {
    const { app, release, waiting } = slowApp();
    const server = await startServer({ app, host: '127.0.0.1', port: 0, logger });
    const inFlight = fetch(`${server.url}/slow`).then((res) => res.text());
    await expect.poll(waiting).toBe(1);
    const closed = server.close();
    await expect(fetch(`${server.url}/fast`)).rejects.toThrow();
    release();
    expect(await inFlight).toBe('slow done');
    await closed;
  });

  it('cuts requests still running when the shutdown timeout passes', async () => {
    const { app, waiting } = slowApp();
    const server = await startServer({ app, host: '127.0.0.1', port: 0, logger, shutdownTimeoutMs: 100 });
    const inFlight = fetch(`${server.url}/slow`);
    await expect.poll(waiting).toBe(1);
    await server.close();
    await expect(inFlight).rejects.toThrow();
  });

  it('closes a connection that trickles its headers (slowloris)', async () => {
    const { app } = slowApp();
    const server = await startServer({ app, host: '127.0.0.1', port: 0, logger, headersTimeoutMs: 300 });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n'));
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString();
        });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await server.close();
    }
  });

  it('can be closed twice', async () => {
    const { app } = slowApp();
    const server = await startServer({ app, host: '127.0.0.1', port: 0, logger });
    await Promise.all([server.close(), server.close()]);
  });
});
