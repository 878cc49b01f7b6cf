import { readFileSync } from 'node:fs';
import { createLogger, type FirstAdmin, resolveConfig, runControlPlane } from '@isotyp/control-plane';
import { IsotypError } from '@isotyp/protocol';

export interface ServerOptions {
  port: number;
  host: string;
  db: string;
  publicUrl?: string | undefined;
  org: string;
  adminEmail?: string | undefined;
  adminPasswordStdin: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /** With --json, stdout carries only the result: logs go to stderr. */
  logToStderr?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the control plane and resolves once it listens; `stopped` settles after SIGINT or
 * SIGTERM has closed it. Logs go to stdout as pino JSON (a daemon's log collector reads them).
 */
export async function startControlPlane(
  options: ServerOptions,
): Promise<{ url: string; bootstrapped: boolean; stopped: Promise<void> }> {
  const env = options.env ?? process.env;
  const logger = createLogger({ level: options.logLevel, buffered: options.logToStderr ? 2 : 1 });
  const password = options.adminPasswordStdin
    ? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
    : env.ISOTYP_ADMIN_PASSWORD;
  if (options.adminEmail !== undefined && (password === undefined || password === '')) {
    throw new IsotypError('ISOTYP_USAGE', 'The first admin needs a password.', {
      hint: 'Set ISOTYP_ADMIN_PASSWORD, or pipe it in with --admin-password-stdin.',
    });
  }
  const firstAdmin: FirstAdmin | undefined =
    options.adminEmail === undefined || password === undefined
      ? undefined
      : { orgId: options.org, orgName: options.org, email: options.adminEmail, password };
  const config = resolveConfig({
    port: options.port,
    host: options.host,
    database: options.db,
    publicUrl:
      options.publicUrl ?? `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`,
  });
  const running = await runControlPlane({ config, logger, ...(firstAdmin ? { firstAdmin } : {}) });
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      running
        .close()
        .finally(() => logger.flush())
        .then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return { url: running.url, bootstrapped: running.bootstrapped, stopped };
}
