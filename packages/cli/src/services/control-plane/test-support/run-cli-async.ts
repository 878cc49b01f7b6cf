import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, type CliResult } from '../../../test-support/run-cli.js';

/**
 * Runs the built `isotyp` binary without blocking the event loop, so a control plane in
 * the test process can answer it (`runCli` uses spawnSync, which would starve the server).
 * Each call gets the environment given, stdin from `input`, and the HOME of `home`.
 *
 * @example
 * const home = scratchHome();
 * const { status } = await runCliAsync(['whoami'], { home, env: { ISOTYP_SERVER: cp.url } });
 */
export async function runCliAsync(
  args: readonly string[],
  options: { home: string; env?: Record<string, string>; input?: string },
): Promise<CliResult> {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: options.home,
      ISOTYP_HOME: join(options.home, '.isotyp'),
      NO_COLOR: '1',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  clearTimeout(timer);
  return { status, stdout, stderr };
}

/** A fresh HOME for one test ($ISOTYP_HOME is `<home>/.isotyp`). */
export function scratchHome(): string {
  return mkdtempSync(join(tmpdir(), 'isotyp-cp-cli-'));
}
