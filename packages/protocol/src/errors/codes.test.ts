import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes, isErrorCode } from './codes.js';
import { IsotypError, isIsotypError, toIsotypError } from './isotyp-error.js';

// Codes are a public contract: scripts branch on them. The lock file records each code's
// HTTP status, exit code and retryability as first published; it may only grow.
const lock = JSON.parse(readFileSync(new URL('./codes.lock.json', import.meta.url), 'utf8')) as Record<
  string,
  { http: number; exit: number; retryable: boolean }
>;

describe('error catalogue', () => {
  it('keeps every published code with its status, exit code and retryability', () => {
    for (const [code, published] of Object.entries(lock)) {
      expect(isErrorCode(code), `${code} was removed or renamed`).toBe(true);
      const spec = errorCodes[code as keyof typeof errorCodes];
      expect({ http: spec.http, exit: spec.exit, retryable: spec.retryable }, code).toEqual(published);
    }
  });

  it('records every code in the lock file (append new codes to codes.lock.json)', () => {
    expect(Object.keys(errorCodes).filter((code) => !(code in lock))).toEqual([]);
  });

  it('gives every code a well-formed name, status, exit code and one-line meaning', () => {
    for (const [code, spec] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^ISOTYP_[A-Z][A-Z0-9_]*$/);
      expect(spec.http >= 400 && spec.http <= 599, code).toBe(true);
      expect(spec.exit >= 1 && spec.exit <= 125, code).toBe(true);
      expect(spec.meaning).toMatch(/^[A-Z].*\.$/);
      expect(spec.meaning).not.toContain('\n');
      if (spec.retryable) expect([429, 502, 503, 504]).toContain(spec.http);
    }
  });
});

describe('IsotypError', () => {
  it('carries code, sentence and hint, and maps to HTTP status and exit code', () => {
    const error = new IsotypError('ISOTYP_RATE_LIMITED', 'Slow down.', {
      hint: 'Retry in 2 s.',
      details: { retryAfter: 2 },
    });
    expect(error.httpStatus).toBe(429);
    expect(error.exitCode).toBe(75);
    expect(error.retryable).toBe(true);
    expect(error.toJSON()).toEqual({
      error: {
        code: 'ISOTYP_RATE_LIMITED',
        message: 'Slow down.',
        hint: 'Retry in 2 s.',
        retryable: true,
        details: { retryAfter: 2 },
      },
    });
  });

  it('wraps foreign errors as ISOTYP_INTERNAL without exposing their message', () => {
    const wrapped = toIsotypError(new Error('password=hunter2 leaked from a driver'));
    expect(wrapped.code).toBe('ISOTYP_INTERNAL');
    expect(JSON.stringify(wrapped.toJSON())).not.toContain('hunter2');
    const own = new IsotypError('ISOTYP_NOT_FOUND', 'No such change.');
    expect(toIsotypError(own)).toBe(own);
    expect(isIsotypError(own)).toBe(true);
    expect(isIsotypError(new Error('x'))).toBe(false);
  });
});
