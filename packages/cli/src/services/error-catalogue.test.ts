import { errorCodes, IsotypError } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { explainErrorCode, listErrorCodes, normalizeCodeInput } from './error-catalogue.js';

describe('listErrorCodes', () => {
  it('lists the whole catalogue in order', () => {
    const entries = listErrorCodes();
    expect(entries.map((e) => e.code)).toEqual(Object.keys(errorCodes));
    expect(entries.find((e) => e.code === 'ISOTYP_RATE_LIMITED')).toEqual({
      code: 'ISOTYP_RATE_LIMITED',
      ...errorCodes.ISOTYP_RATE_LIMITED,
    });
  });
});

describe('explainErrorCode', () => {
  it.each(['ISOTYP_NOT_FOUND', 'isotyp_not_found', 'not-found', ' NOT_FOUND '])('accepts %j', (input) => {
    expect(normalizeCodeInput(input)).toBe('ISOTYP_NOT_FOUND');
    expect(explainErrorCode(input).exit).toBe(66);
  });

  it('throws ISOTYP_NOT_FOUND with "did you mean" for a near miss', () => {
    const error = catchError(() => explainErrorCode('ISOTYP_TIMOUT'));
    expect(error.code).toBe('ISOTYP_NOT_FOUND');
    expect(error.exitCode).toBe(66);
    expect(error.hint).toBe('Did you mean ISOTYP_TIMEOUT? Run `isotyp errors list` to see every code.');
    expect(error.details).toEqual({ code: 'ISOTYP_TIMOUT', suggestions: ['ISOTYP_TIMEOUT'] });
  });

  it('still names the closest code when nothing is near', () => {
    const error = catchError(() => explainErrorCode('zzzzzzzzzz'));
    expect(error.hint).toMatch(/^The closest catalogued code is ISOTYP_[A-Z_]+\. /);
    const suggestions = error.details?.suggestions as string[] | undefined;
    expect(suggestions).toHaveLength(1);
    expect(Object.keys(errorCodes)).toContain(suggestions?.[0]);
  });
});

function catchError(fn: () => unknown): IsotypError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IsotypError) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}
