import { describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME } from './test-support/run-cli.js';

describe('isotyp (binary)', () => {
  it('--help lists the topics and root commands', () => {
    const { status, stdout } = runCli(['--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^TOPICS\n {2}agent +/m);
    for (const topic of ['agent', 'agents', 'audit', 'errors', 'migrate', 'secrets']) {
      expect(stdout).toMatch(new RegExp(`^ {2}${topic} +\\S`, 'm'));
    }
    expect(stdout).toMatch(/^ {2}errors +Look up error codes/m);
    for (const command of ['inspect', 'plan', 'lint', 'apply', 'rollback', 'drift']) {
      expect(stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
    }
    expect(stdout).toMatch(/^COMMANDS$/m);
    expect(stdout).toMatch(/^ {2}help +Display help for isotyp\.$/m);
    expect(stdout).toContain('$ isotyp [COMMAND]');
  });

  it('topic help lists the commands under it', () => {
    const { status, stdout } = runCli(['errors', '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^ {2}errors explain +Explain one error code/m);
    expect(stdout).toMatch(/^ {2}errors list +List every error code/m);
  });

  it('command help shows the global --json and --verbose flags and the examples', () => {
    const { status, stdout } = runCli(['errors', 'explain', '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/GLOBAL FLAGS\n {2}--json +.*\n {2}--verbose +Show stack traces/);
    expect(stdout).toContain('$ isotyp errors explain ISOTYP_USAGE');
  });

  it('--version prints the package version', () => {
    const { status, stdout } = runCli(['--version']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^@isotyp\/cli\/\d+\.\d+\.\d+ \S+ node-v\d+/);
  });

  it('an unknown flag is ISOTYP_USAGE, exit 64, with a hint and no stack', () => {
    const { status, stdout, stderr } = runCli(['errors', 'list', '--nope']);
    expect(status).toBe(64);
    expect(stdout).toBe('');
    expect(stderr).toBe('Error [ISOTYP_USAGE]: Unknown flag --nope.\nHint: See: isotyp errors list --help\n');
  });

  it('a missing required argument is ISOTYP_USAGE as JSON on stdout with --json', () => {
    const { status, stdout, stderr } = runCli(['errors', 'explain', '--json']);
    expect(status).toBe(64);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'ISOTYP_USAGE',
        message: 'Missing required argument CODE.',
        hint: 'See: isotyp errors explain --help',
        retryable: false,
        details: { arguments: ['CODE'] },
      },
    });
  });

  it('--verbose adds the stack trace and the cause', () => {
    const quiet = runCli(['errors', 'list', '--nope']);
    const verbose = runCli(['errors', 'list', '--nope', '--verbose']);
    expect(quiet.stderr).not.toMatch(STACK_FRAME);
    expect(verbose.status).toBe(64);
    expect(verbose.stderr).toMatch(/^Error \[ISOTYP_USAGE\]: Unknown flag --nope\./);
    expect(verbose.stderr).toMatch(STACK_FRAME);
    expect(verbose.stderr).toContain('Caused by: ');
  });

  it('an unknown root flag is ISOTYP_USAGE, not an unknown command', () => {
    const { status, stderr } = runCli(['--nope']);
    expect(status).toBe(64);
    expect(stderr).toBe('Error [ISOTYP_USAGE]: Unknown flag --nope.\nHint: See: isotyp --help\n');
  });
});
