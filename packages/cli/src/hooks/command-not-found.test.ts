import { describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME } from '../test-support/run-cli.js';

describe('command_not_found hook', () => {
  it('exits 64 with ISOTYP_UNKNOWN_COMMAND, names the command and points at --help', () => {
    const { status, stdout, stderr } = runCli(['nope']);
    expect(status).toBe(64);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Error [ISOTYP_UNKNOWN_COMMAND]: There is no command named "nope".\n' +
        'Hint: Run `isotyp --help` to see every command.\n',
    );
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('suggests the closest command for a typo', () => {
    const { status, stderr } = runCli(['erors', 'lst']);
    expect(status).toBe(64);
    expect(stderr).toContain('There is no command named "erors".');
    expect(stderr).toMatch(/^Hint: Did you mean `isotyp errors list`\?/m);
  });

  it('catches a typo in the verb of a known topic', () => {
    const { status, stderr } = runCli(['errors', 'explian', 'ISOTYP_USAGE']);
    expect(status).toBe(64);
    expect(stderr).toContain('There is no command named "errors explian".');
    expect(stderr).toContain('Did you mean `isotyp errors explain`?');
  });

  it('extra words after a command that takes no arguments are ISOTYP_USAGE, not an unknown command', () => {
    const { status, stderr } = runCli(['errors', 'list', 'extra']);
    expect(status).toBe(64);
    expect(stderr).toBe('Error [ISOTYP_USAGE]: Unexpected argument: extra.\nHint: See: isotyp errors list --help\n');
  });

  it('prints the JSON error body on stdout with --json', () => {
    const { status, stdout, stderr } = runCli(['nope', '--json']);
    expect(status).toBe(64);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'ISOTYP_UNKNOWN_COMMAND',
        message: 'There is no command named "nope".',
        hint: 'Run `isotyp --help` to see every command.',
        retryable: false,
        details: { command: 'nope', suggestions: [] },
      },
    });
  });

  it('shows a stack only with --verbose', () => {
    const { status, stderr } = runCli(['nope', '--verbose']);
    expect(status).toBe(64);
    expect(stderr).toMatch(/^Error \[ISOTYP_UNKNOWN_COMMAND\]/);
    expect(stderr).toMatch(STACK_FRAME);
  });
});
