import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, FLUSH_MS, infoLine, REDACTED, TRUSTED } from './logger.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, last: () => JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown> };
}

describe('createLogger', () => {
  it('writes one JSON line with level, ISO time and message', () => {
    const { logger, last } = capture();
    logger.info({ route: '/v1/projects' }, 'request');
    expect(last()).toMatchObject({ level: 30, msg: 'request', route: '/v1/projects' });
    expect(String(last().time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('writes a record marked trusted as it is, without the mark, and still redacts every other', () => {
    const { logger, lines, last } = capture();
    logger.info({ [TRUSTED]: true, requestId: 'r-1', route: '/v1/changes/:id', status: 200 }, 'request');
    expect(last()).toEqual(
      expect.objectContaining({ requestId: 'r-1', route: '/v1/changes/:id', status: 200, msg: 'request' }),
    );
    expect(lines.at(-1)).not.toContain('trusted');
    // The mark is on the record, not on the logger: the next line is walked as before.
    logger.info({ password: 'hunter2' }, 'Bearer abc.def');
    expect(last()).toMatchObject({ password: REDACTED, msg: 'Bearer ***' });
  });

  it('masks credential-like keys at any depth', () => {
    const { logger, lines, last } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJhbGciOi.abc.def', cookie: 'sid=s3cr3t', 'content-type': 'x' } },
        user: { password: 'hunter2', refresh_token: 'rt-123', clientSecret: 'cs-9', tokenId: 'tok_1' },
        list: [{ accessToken: 'at-1' }],
      },
      'login',
    );
    const line = lines.at(-1) ?? '';
    for (const secret of ['eyJhbGciOi', 's3cr3t', 'hunter2', 'rt-123', 'cs-9', 'at-1'])
      expect(line).not.toContain(secret);
    expect(last()).toMatchObject({
      req: { headers: { authorization: REDACTED, cookie: REDACTED, 'content-type': 'x' } },
      user: { password: REDACTED, tokenId: 'tok_1' },
    });
  });

  it('removes passwords from connection strings in values and messages', () => {
    const { logger, lines } = capture();
    logger.info({ database: 'postgres://cp:p%40ss@db.internal:5432/cp?sslmode=require' }, 'opening');
    logger.warn('retrying postgresql://admin:topsecret@10.0.0.5/cp and host=db password=alsosecret');
    const text = lines.join('');
    expect(text).not.toMatch(/p%40ss|topsecret|alsosecret/);
    expect(text).toContain('postgres://cp:***@db.internal:5432/cp');
  });

  it('cleans error messages and stacks', () => {
    const { logger, lines, last } = capture();
    logger.error({ err: new Error('connect to postgres://u:pw123@h/db failed') }, 'failed');
    expect(lines.at(-1)).not.toContain('pw123');
    expect(last().err).toMatchObject({ type: 'Error', message: 'connect to postgres://u:***@h/db failed' });
  });

  it('keeps a __proto__ key a key and pollutes nothing', () => {
    const { logger, last } = capture();
    logger.info(JSON.parse('{"payload":{"__proto__":{"polluted":true}}}') as object, 'odd');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(last().payload).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
  });
});

describe('infoLine', () => {
  const fields = {
    requestId: 'r-"7',
    method: 'GET',
    route: '/v1/changes/:id',
    status: 200,
    ms: 1.5,
    principal: undefined,
    retries: Number.NaN,
  };

  it('writes byte for byte the line pino writes for the same trusted record', () => {
    const { logger, lines } = capture();
    infoLine(logger, fields, 'request');
    logger.info({ [TRUSTED]: true, ...fields }, 'request');
    const [mine, pinos] = lines.slice(-2).map((line) => line.replace(/"time":"[^"]+"/, '"time":"T"'));
    expect(mine).toBe(pinos);
    expect(JSON.parse(mine ?? '')).toMatchObject({ level: 30, requestId: 'r-"7', status: 200, retries: null });
    expect(mine).not.toContain('principal');
  });

  it('keeps the bindings of a child and follows the level, as pino does', () => {
    const { logger, lines } = capture();
    infoLine(logger.child({ component: 'http' }), { status: 200 }, 'request');
    expect(JSON.parse(lines.at(-1) ?? '')).toMatchObject({ component: 'http', status: 200, msg: 'request' });
    logger.level = 'warn';
    infoLine(logger, { status: 200 }, 'request');
    infoLine(logger.child({ component: 'http' }), { status: 200 }, 'request');
    expect(lines).toHaveLength(1);
  });

  it('gives a multistream the line through pino, with its level', () => {
    const seen: string[] = [];
    const logger = createLogger({
      destination: pino.multistream([{ level: 'info', stream: { write: (line: string) => void seen.push(line) } }]),
    });
    infoLine(logger, { status: 204 }, 'request');
    expect(JSON.parse(seen[0] ?? '')).toMatchObject({ level: 30, status: 204, msg: 'request' });
  });
});

describe('createLogger({ buffered })', () => {
  it('writes lines within FLUSH_MS when the server is quiet, and what is left when the process exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-log-'));
    try {
      const file = join(dir, 'quiet.log');
      const logger = createLogger({ buffered: file });
      logger.info({ route: '/healthz' }, 'request');
      await new Promise((resolve) => setTimeout(resolve, 3 * FLUSH_MS));
      expect(readFileSync(file, 'utf8')).toContain('"route":"/healthz"');

      // A process that logs and ends at once: the exit hook writes the buffer out.
      const exiting = join(dir, 'exit.log');
      const module = new URL('../dist/logger.js', import.meta.url).href;
      const script = `const { createLogger } = await import(${JSON.stringify(module)});
        const logger = createLogger({ buffered: ${JSON.stringify(exiting)} });
        for (let i = 0; i < 3; i++) logger.info({ n: i }, 'line');`;
      execFileSync(process.execPath, ['--input-type=module', '-e', script]);
      expect(readFileSync(exiting, 'utf8').trim().split('\n')).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
