import { errorCodes } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test-support/run-cli.js';

describe('isotyp errors list', () => {
  it('--json returns every catalogue code with its HTTP status, exit code and meaning', () => {
    const { status, stdout } = runCli(['errors', 'list', '--json']);
    expect(status).toBe(0);
    const entries = JSON.parse(stdout) as { code: string }[];
    expect(entries.map((e) => e.code)).toEqual(Object.keys(errorCodes));
    expect(entries).toContainEqual({
      code: 'ISOTYP_USAGE',
      http: 400,
      exit: 64,
      retryable: false,
      meaning: errorCodes.ISOTYP_USAGE.meaning,
    });
  });

  it('prints an aligned table in text mode', () => {
    const { status, stdout } = runCli(['errors', 'list']);
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CODE +HTTP +EXIT +RETRY +MEANING$/);
    expect(lines).toHaveLength(Object.keys(errorCodes).length + 1);
    // Every row starts its MEANING column where the header does.
    const meaningAt = lines[0]?.indexOf('MEANING');
    const rateLimited = lines.find((l) => l.startsWith('ISOTYP_RATE_LIMITED '));
    expect(rateLimited?.indexOf(errorCodes.ISOTYP_RATE_LIMITED.meaning)).toBe(meaningAt);
    expect(rateLimited).toMatch(/ 429 +75 +yes /);
  });
});
