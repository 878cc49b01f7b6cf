import { describe, expect, it } from 'vitest';
import { DEFAULT_RETURN_TO, safeReturnTo } from './return-to.js';

const refused = (value: string) => {
  try {
    safeReturnTo(value);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'accepted';
};

describe('safeReturnTo', () => {
  it('keeps paths on this server, query and fragment included', () => {
    expect(safeReturnTo('/console/changes?state=open#top')).toBe('/console/changes?state=open#top');
    expect(safeReturnTo('/console/../console/x')).toBe('/console/x');
  });

  it('defaults to the console when no page is named', () => {
    expect(safeReturnTo(undefined)).toBe(DEFAULT_RETURN_TO);
    expect(safeReturnTo('')).toBe(DEFAULT_RETURN_TO);
  });

  it.each([
    'https://evil.example/console',
    'http:/evil.example',
    'javascript:alert(1)',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    ' /console',
    'console/changes',
    `/${'a'.repeat(2048)}`,
  ])('refuses %j (open redirect)', (value) => {
    expect(refused(value)).toBe('ISOTYP_INVALID_INPUT');
  });
});
