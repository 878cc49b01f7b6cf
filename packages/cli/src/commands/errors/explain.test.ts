import { errorCodes } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME } from '../../test-support/run-cli.js';

describe('isotyp errors explain', () => {
  it('explains a code given loosely (lower case, dashes, no prefix)', () => {
    const { status, stdout } = runCli(['errors', 'explain', 'not-found']);
    expect(status).toBe(0);
    expect(stdout).toContain('ISOTYP_NOT_FOUND\n');
    expect(stdout).toContain(errorCodes.ISOTYP_NOT_FOUND.meaning);
    expect(stdout).toMatch(/exit code +66\n/);
    expect(stdout).toMatch(/HTTP +404\n/);
  });

  it('--json returns the catalogue entry', () => {
    const { status, stdout } = runCli(['errors', 'explain', 'ISOTYP_TIMEOUT', '--json']);
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ code: 'ISOTYP_TIMEOUT', ...errorCodes.ISOTYP_TIMEOUT });
  });

  it('an unknown code exits 66 with an ISOTYP_NOT_FOUND JSON body', () => {
    const { status, stdout, stderr } = runCli(['errors', 'explain', 'NOPE', '--json']);
    expect(status).toBe(66);
    expect(stderr).toBe('');
    const body = JSON.parse(stdout) as { error: { code: string; message: string; hint: string } };
    expect(body.error).toMatchObject({ code: 'ISOTYP_NOT_FOUND', message: 'There is no error code named NOPE.' });
    expect(body.error.hint).toMatch(/ISOTYP_[A-Z_]+/);
  });

  it('an unknown code in text mode names the closest code and shows no stack', () => {
    const { status, stderr } = runCli(['errors', 'explain', 'ISOTYP_NOT_FUOND']);
    expect(status).toBe(66);
    expect(stderr).toBe(
      'Error [ISOTYP_NOT_FOUND]: There is no error code named ISOTYP_NOT_FUOND.\n' +
        'Hint: Did you mean ISOTYP_NOT_FOUND? Run `isotyp errors list` to see every code.\n',
    );
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('--verbose shows where the error was thrown', () => {
    const { status, stderr } = runCli(['errors', 'explain', 'NOPE', '--verbose']);
    expect(status).toBe(66);
    expect(stderr).toMatch(STACK_FRAME);
    expect(stderr).toContain('explainErrorCode');
  });
});
