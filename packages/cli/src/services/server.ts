import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  createLogger,
  defaultConfig,
  type FirstAdmin,
  resolveConfig,
  runControlPlane,
  runControlPlaneWorkers,
  sqliteFile,
} from '@isotyp/control-plane';
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
  /** HTTPS, with agents' client certificates accepted (see ControlPlaneConfig.tls). */
  tls?: boolean;
  /** Write the agent CA's certificate (public) here once started, for clients to trust. */
  writeCa?: string | undefined;
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without it. */
  otlpEndpoint?: string | undefined;
  /** 0–1, as text from the flag or OTEL_TRACES_SAMPLER_ARG; checked with the rest of the config. */
  traceSampleRatio?: string | undefined;
  /** Also publish events to this NATS JetStream server (ISOTYP_NATS_URL). */
  natsUrl?: string | undefined;
  /** Accept http:// webhook URLs (ISOTYP_WEBHOOKS_ALLOW_HTTP). */
  webhooksAllowHttp?: boolean | undefined;
  /** Processes serving requests: a number or `auto` (one per core); 1 when absent. */
  workers?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the control plane and resolves once it listens; `stopped` settles after SIGINT or
 * SIGTERM has closed it. Logs go to stdout as pino JSON (a daemon's log collector reads them).
 */
export async function startControlPlane(
  options: ServerOptions,
): Promise<{ url: string; bootstrapped: boolean; workers: number; stopped: Promise<void>; caFingerprint?: string }> {
  const env = options.env ?? process.env;
  const workers = workerCount(options.workers);
  if (workers > 1 && privateSqlite(options.db)) {
    throw new IsotypError(
      'ISOTYP_USAGE',
      'Workers share one store, and an in-memory SQLite database is private to each process.',
      {
        hint: 'Give --db a SQLite file (sqlite:./isotyp-cp.db) or a PostgreSQL URL, or run one worker.',
      },
    );
  }
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
  const caPassphrase = env.ISOTYP_CA_PASSPHRASE || embeddedCaPassphrase(options.db);
  const config = resolveConfig({
    port: options.port,
    host: options.host,
    database: options.db,
    ...(caPassphrase === undefined ? {} : { caPassphrase }),
    ...(options.tls ? { tls: true } : {}),
    ...tracingSettings(options, env),
    ...(options.natsUrl === undefined || options.natsUrl === ''
      ? {}
      : { nats: { url: options.natsUrl, stream: 'ISOTYP_EVENTS', subjectPrefix: 'isotyp.events' } }),
    ...(options.webhooksAllowHttp ? { webhooks: { ...defaultConfig.webhooks, allowHttp: true } } : {}),
    publicUrl:
      options.publicUrl ??
      `${options.tls ? 'https' : 'http'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`,
  });
  const running =
    workers > 1
      ? await runControlPlaneWorkers({
          config,
          logger,
          logLevel: options.logLevel,
          workers,
          ...(firstAdmin ? { firstAdmin } : {}),
        })
      : await runControlPlane({ config, logger, ...(firstAdmin ? { firstAdmin } : {}) });
  const caPem =
    'store' in running ? (await running.store.authorities.active())?.certificatePem : running.caCertificatePem;
  if (options.writeCa !== undefined && caPem !== undefined) writeFileSync(options.writeCa, caPem);
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
  return {
    url: running.url,
    bootstrapped: running.bootstrapped,
    workers,
    stopped,
    ...(caPem === undefined ? {} : { caFingerprint: new X509Certificate(caPem).fingerprint256 }),
  };
}

/** `--workers`: a whole number from 1 to 64, or `auto` for one per core. */
export function workerCount(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  if (text.trim().toLowerCase() === 'auto') return Math.min(64, availableParallelism());
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new IsotypError('ISOTYP_USAGE', `--workers must be a whole number from 1 to 64, or auto (got "${text}").`, {
      hint: 'Use --workers auto for one worker per core.',
    });
  }
  return count;
}

/** A SQLite database no other process can open: in memory, or no file named. */
function privateSqlite(database: string): boolean {
  const path = sqliteFile(database);
  return path === '' || path === ':memory:';
}

/** The control plane's `tracing` section from the flags and the standard OTEL_* environment. */
function tracingSettings(options: ServerOptions, env: NodeJS.ProcessEnv) {
  const endpoint = options.otlpEndpoint;
  if (endpoint === undefined || endpoint === '' || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return {};
  const ratio = options.traceSampleRatio;
  return {
    tracing: {
      otlpEndpoint: endpoint,
      ...(env.OTEL_SERVICE_NAME ? { serviceName: env.OTEL_SERVICE_NAME } : {}),
      ...(ratio === undefined || ratio === '' ? {} : { sampleRatio: Number(ratio) }),
    },
  };
}

/**
 * The embedded default keeps the agent CA's passphrase beside its SQLite file (0600), made on
 * first start, so agents can enrol with no set-up; that is only as safe as the file's directory.
 * Deployments set ISOTYP_CA_PASSPHRASE from their secret store instead (PostgreSQL requires it).
 */
function embeddedCaPassphrase(database: string): string | undefined {
  const file = passphraseFile(database);
  if (file === undefined) return undefined;
  if (existsSync(`${file}${UNFINISHED}`)) throw unfinished(database);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process starting on the same file wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** Where the embedded default keeps its passphrase: beside a SQLite file; none for other stores. */
export function passphraseFile(database: string): string | undefined {
  const path = sqliteFile(database);
  return path === undefined || privateSqlite(database) ? undefined : `${path}.ca-passphrase`;
}

/** Beside the passphrase file, the new passphrase while a rotation runs (see rotateServerPassphrase). */
export const UNFINISHED = '.new';

/** What refuses to run beside an unfinished change of the embedded default's passphrase. */
export function unfinished(database: string): IsotypError {
  return new IsotypError('ISOTYP_CONFIG_INVALID', 'A change of the server passphrase did not finish.', {
    hint: `Run isotyp server rotate-passphrase --db ${database} again to finish it.`,
  });
}
