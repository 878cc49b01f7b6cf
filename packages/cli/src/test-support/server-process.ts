import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from './run-cli.js';

export interface ServerProcess {
  child: ChildProcess;
  /** The URL it says it listens on, or undefined when it exits first. */
  url: Promise<string | undefined>;
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** Its log lines so far, parsed (at a log level other than silent, each stdout line is one pino JSON object). */
  lines(): LogLine[];
}

export interface LogLine {
  pid: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * Runs `isotyp server start …args` (on port 0 unless args name one) in a scratch home, and pushes
 * it onto `running` for the test to kill afterwards.
 *
 * @example
 * const server = startServerProcess(['--db', `sqlite:${db}`, '--log-level', 'silent'], running);
 * expect(await server.url).toBeDefined();
 */
export function startServerProcess(
  args: string[],
  running: ChildProcess[],
  env: Record<string, string> = {},
): ServerProcess {
  const home = mkdtempSync(join(tmpdir(), 'isotyp-server-'));
  const port = args.includes('--port') ? [] : ['--port', '0'];
  const child = spawn(process.execPath, [binPath, 'server', 'start', ...port, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, ISOTYP_HOME: join(home, '.isotyp'), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string | undefined>((resolve) => {
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
      const match = /on (https?:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    void exited.then(() => resolve(undefined));
  });
  const lines = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  return { child, url, exited, lines, output: () => ({ stdout, stderr }) };
}
