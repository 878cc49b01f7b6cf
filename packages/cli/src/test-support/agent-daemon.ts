import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binPath } from './run-cli.js';

/**
 * The public key of this checkout's development release key (scripts/release-manifest.mjs): the
 * daemon refuses to start unless ISOTYP_RELEASE_KEYS trusts the key that signed its build.
 */
export function developmentKey(): string {
  const file = fileURLToPath(new URL('../../../../.artifacts/release/dev-key.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')).publicKey;
}

/**
 * `isotyp agent start --config CONFIG` as the built binary, with its HOME, trusting this build;
 * its stdout and stderr collected in `logs()`. `stop()` sends SIGTERM and resolves its exit code.
 */
export function startAgentDaemon(config: string, home: string, env: Record<string, string> = {}) {
  const daemon = spawn(process.execPath, [binPath, 'agent', 'start', '--config', config, '--health-port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      ISOTYP_HOME: join(home, '.isotyp'),
      NO_COLOR: '1',
      ISOTYP_RELEASE_KEYS: developmentKey(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  daemon.stdout.setEncoding('utf8').on('data', (text: string) => {
    logs += text;
  });
  daemon.stderr.setEncoding('utf8').on('data', (text: string) => {
    logs += text;
  });
  const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
  return {
    logs: () => logs,
    stop: async () => {
      daemon.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `probe` every 200 ms until it is true or `ms` pass; says whether it became true. */
export async function eventually(probe: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return probe();
}
