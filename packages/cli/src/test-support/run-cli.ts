import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real binary, run from its compiled output (the root vitest setup runs `tsc -b`). */
export const binPath = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// One scratch HOME per test file, so no user config, cache or theme leaks into the output.
const home = mkdtempSync(join(tmpdir(), 'isotyp-cli-test-'));

/** The HOME the CLI runs with in this test file ($ISOTYP_HOME is `<home>/.isotyp`). */
export function cliHome(): string {
  return home;
}

/**
 * A clean environment: no TTY-only variables, no colour forcing, no NODE_ENV (oclif treats
 * `test`/`development` as "load TypeScript sources"; the binary must run from dist).
 */
function cliEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: home, ISOTYP_HOME: join(home, '.isotyp'), NO_COLOR: '1' };
}

/**
 * Runs `isotyp …` as a user would: a separate Node process, stdin/stdout/stderr as pipes.
 *
 * @example
 * const { status, stderr } = runCli(['nope']);
 */
export function runCli(args: readonly string[]): CliResult {
  const result = spawnSync(process.execPath, [binPath, ...args], {
    encoding: 'utf8',
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Lines that look like a JavaScript stack frame. */
export const STACK_FRAME = /^\s+at /m;
