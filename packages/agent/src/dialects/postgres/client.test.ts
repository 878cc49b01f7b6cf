import { createServer, type Server, type Socket } from 'node:net';
import type { IsotypError } from '@isotyp/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../test-support/postgres.js';
import { connectionError } from './client.js';
import { postgresDialect } from './index.js';

const SECRET = 's3cret-Pa55word';

/** Everything a user or a log could see of an error, as one string. */
function visible(error: IsotypError): string {
  return [error.message, error.hint, JSON.stringify(error.toJSON()), JSON.stringify(error.details)].join('\n');
}

async function failure(promise: Promise<unknown>): Promise<IsotypError> {
  try {
    await promise;
  } catch (error) {
    return error as IsotypError;
  }
  throw new Error('expected a failure');
}

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const silent: { server?: Server; sockets: Socket[] } = { sockets: [] };
afterAll(async () => {
  for (const socket of silent.sockets) socket.destroy();
  await new Promise<void>((resolve) => (silent.server ? silent.server.close(() => resolve()) : resolve()));
});

describe('connecting to PostgreSQL', () => {
  it('reports a refused connection as unreachable and retryable, without the password', async () => {
    const port = await closedPort();
    const error = await failure(postgresDialect.connect({ url: `postgres://alice:${SECRET}@127.0.0.1:${port}/app` }));
    expect(error).toMatchObject({ code: 'ISOTYP_TARGET_UNREACHABLE', retryable: true });
    expect(error.message).toBe(
      `Nothing accepted the connection to postgres://alice:***@127.0.0.1:${port}/app: connection refused.`,
    );
    expect(visible(error)).not.toContain(SECRET);
  });

  it('gives up on a server that never answers after the connect timeout', async () => {
    silent.server = createServer((socket) => silent.sockets.push(socket));
    await new Promise<void>((resolve) => silent.server?.listen(0, '127.0.0.1', resolve));
    const { port } = silent.server.address() as { port: number };
    const started = Date.now();
    const error = await failure(
      postgresDialect.connect({ url: `postgres://alice:${SECRET}@127.0.0.1:${port}/app`, connectTimeoutMs: 300 }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'ISOTYP_TARGET_UNREACHABLE', message: expect.stringContaining('in time') });
    expect(visible(error)).not.toContain(SECRET);
  });

  it('says when the database does not exist', async () => {
    const url = databaseUrl('isotyp_no_such_database');
    const error = await failure(postgresDialect.connect({ url }));
    expect(error).toMatchObject({
      code: 'ISOTYP_TARGET_UNREACHABLE',
      message: expect.stringContaining('does not exist on that server'),
      hint: expect.stringContaining('database name'),
      details: expect.objectContaining({ driverCode: '3D000' }),
    });
  });

  it('uses a password given beside a URL that has none, and never shows it', async () => {
    // The test server trusts every local login, so a wrong password still connects: what is
    // checked is that the password reaches the driver and stays out of what is shown.
    const connection = await postgresDialect.connect({ url: databaseUrl('postgres'), password: SECRET });
    await connection.close();
    const port = await closedPort();
    const error = await failure(
      postgresDialect.connect({ url: `postgres://alice@127.0.0.1:${port}/app`, password: SECRET }),
    );
    expect(visible(error)).not.toContain(SECRET);
  });

  it('maps authentication failures and a missing password to precise sentences', () => {
    const display = 'postgres://alice:***@db:5432/app';
    expect(
      connectionError({ code: '28P01', message: 'password authentication failed for user "alice"' }, display),
    ).toMatchObject({
      code: 'ISOTYP_TARGET_UNREACHABLE',
      message: 'PostgreSQL at postgres://alice:***@db:5432/app rejected the password for that user.',
      hint: expect.stringContaining('PGPASSWORD'),
    });
    expect(
      connectionError(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'), display),
    ).toMatchObject({ message: expect.stringContaining('asked for a password and none was given') });
    expect(connectionError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db' }, display)).toMatchObject({
      message: expect.stringContaining('could not be resolved'),
    });
  });
});
