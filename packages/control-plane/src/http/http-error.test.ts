import { IsotypError } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { toHttpError } from './http-error.js';

describe('toHttpError', () => {
  it('answers an IsotypError with its catalogue status and body', () => {
    const response = toHttpError(
      new IsotypError('ISOTYP_NOT_FOUND', 'No such change.', { hint: 'List changes first.' }),
    );
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: { code: 'ISOTYP_NOT_FOUND', message: 'No such change.', hint: 'List changes first.', retryable: false },
    });
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('answers anything else with a bare 500 that leaks nothing', () => {
    const response = toHttpError(new TypeError('cannot read secret_token of undefined'));
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('ISOTYP_INTERNAL');
    expect(JSON.stringify(response.body)).not.toContain('secret_token');
  });

  it('tells clients when to retry', () => {
    const response = toHttpError(new IsotypError('ISOTYP_UNAVAILABLE', 'Database restarting.'), 5);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });
});
