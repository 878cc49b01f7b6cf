import { IsotypError } from '@isotyp/protocol';
import { Args, Flags, Parser } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { STACK_FRAME } from '../test-support/run-cli.js';
import { type RenderOptions, renderError } from './render-error.js';

/** Renders into strings instead of the process streams. */
function render(error: unknown, options: Partial<RenderOptions> = {}) {
  const out = { stdout: '', stderr: '' };
  const exitCode = renderError(error, {
    bin: 'isotyp',
    command: 'demo run',
    json: false,
    verbose: false,
    output: {
      stdout: (text) => {
        out.stdout += text;
      },
      stderr: (text) => {
        out.stderr += text;
      },
    },
    ...options,
  });
  return { exitCode, ...out };
}

/** A real oclif parse failure for this argv against a small command definition. */
async function parseError(argv: string[]): Promise<unknown> {
  try {
    await Parser.parse(argv, {
      args: { name: Args.string({ required: true }) },
      flags: {
        mode: Flags.string({ options: ['fast', 'safe'] }),
        target: Flags.string({
          parse: async (input) => {
            throw new IsotypError('ISOTYP_TARGET_INVALID', `${input} is not a target URL.`);
          },
        }),
        env: Flags.string({ required: true }),
      },
    });
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${argv.join(' ')} to fail parsing`);
}

describe('renderError', () => {
  it('prints code, sentence and hint on stderr and returns the catalogue exit code', () => {
    const error = new IsotypError('ISOTYP_FILE_NOT_FOUND', 'schema.sql does not exist.', { hint: 'Pass --schema.' });
    expect(render(error)).toEqual({
      exitCode: 66,
      stdout: '',
      stderr: 'Error [ISOTYP_FILE_NOT_FOUND]: schema.sql does not exist.\nHint: Pass --schema.\n',
    });
  });

  it('prints the toJSON() body on stdout in JSON mode', () => {
    const error = new IsotypError('ISOTYP_RATE_LIMITED', 'Slow down.', { details: { retryAfterMs: 500 } });
    const { exitCode, stdout, stderr } = render(error, { json: true });
    expect(exitCode).toBe(75);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual(error.toJSON());
  });

  it('wraps a foreign error as ISOTYP_INTERNAL (exit 70) without its stack or message', () => {
    const { exitCode, stderr } = render(new TypeError('secret internals'));
    expect(exitCode).toBe(70);
    expect(stderr).toMatch(/^Error \[ISOTYP_INTERNAL\]: An unexpected error occurred\.\nHint: /);
    expect(stderr).not.toContain('secret internals');
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('with verbose, adds the stack and the cause chain on stderr, in both modes', () => {
    const text = render(new TypeError('boom'), { verbose: true });
    expect(text.stderr).toMatch(STACK_FRAME);
    expect(text.stderr).toContain('Caused by: TypeError: boom');
    const json = render(new TypeError('boom'), { verbose: true, json: true });
    expect(JSON.parse(json.stdout).error.code).toBe('ISOTYP_INTERNAL');
    expect(json.stderr).toContain('Caused by: TypeError: boom');
  });

  it.each([
    [['x', '--env', 'dev', '--nope'], 'Unknown flag --nope.'],
    [['--env', 'dev'], 'Missing required argument NAME.'],
    [['x', '--env', 'dev', 'y'], 'Unexpected argument: y.'],
    [['x', '--env', 'dev', '--mode', 'slow'], 'Expected --mode=slow to be one of: fast, safe.'],
    [['x'], 'Missing required flag env.'],
  ])('maps the oclif parse error for %j to ISOTYP_USAGE: %s', async (argv, message) => {
    const { exitCode, stderr } = render(await parseError(argv));
    expect(exitCode).toBe(64);
    expect(stderr).toBe(`Error [ISOTYP_USAGE]: ${message}\nHint: See: isotyp demo run --help\n`);
  });

  it('keeps the code of an IsotypError thrown by a flag parser, minus oclif decoration', async () => {
    const { exitCode, stderr } = render(await parseError(['x', '--env', 'dev', '--target', 'nope://']));
    expect(exitCode).toBe(64);
    expect(stderr).toBe(
      'Error [ISOTYP_TARGET_INVALID]: Invalid value for --target: nope:// is not a target URL.\n' +
        'Hint: See: isotyp demo run --help\n',
    );
  });

  it('treats any foreign error from parsing as usage when told it happened during parsing', () => {
    const { exitCode, stderr } = render(new Error('Flag --env expects a value'), { duringParse: true });
    expect(exitCode).toBe(64);
    expect(stderr).toBe('Error [ISOTYP_USAGE]: Flag --env expects a value.\nHint: See: isotyp demo run --help\n');
  });

  it('points at the root help when no command was found', () => {
    const { stderr } = render(new Error('x'), { command: undefined, duringParse: true });
    expect(stderr).toMatch(/\nHint: See: isotyp --help\n$/);
  });
});
