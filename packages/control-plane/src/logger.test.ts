import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from './logger.js';

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
