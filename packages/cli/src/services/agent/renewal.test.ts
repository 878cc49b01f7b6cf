import { describe, expect, it } from 'vitest';
import { renewalDueAt } from './renewal.js';

describe('renewalDueAt', () => {
  const issued = '2026-11-26T00:00:00.000Z';
  const notAfter = '2026-11-27T00:00:00.000Z';

  it('is half-way through the certificate’s life, spread by at most a tenth of it either side', () => {
    expect(renewalDueAt(issued, notAfter, () => 0.5).toISOString()).toBe('2026-11-26T12:00:00.000Z');
    expect(renewalDueAt(issued, notAfter, () => 0).toISOString()).toBe('2026-11-26T09:36:00.000Z');
    expect(renewalDueAt(issued, notAfter, () => 0.999999).getTime()).toBeLessThanOrEqual(
      Date.parse('2026-11-26T14:24:00.000Z'),
    );
  });

  it('spreads a fleet enrolled at the same moment', () => {
    const due = new Set(Array.from({ length: 50 }, () => renewalDueAt(issued, notAfter).getTime()));
    expect(due.size).toBeGreaterThan(40);
  });
});
