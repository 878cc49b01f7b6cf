import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class ServerStart extends IsotypCommand {
  static override summary = 'Run the control plane: the HTTP API that brokers change requests and approvals.';
  static override description =
    'Opens (and migrates) the store — an embedded SQLite file by default, PostgreSQL for several replicas — and serves the API under /v1 with /healthz, /readyz, /metrics and /v1/openapi.json. On an empty database it creates the first organisation and its admin from --org, --admin-email and the password in ISOTYP_ADMIN_PASSWORD (or read from stdin with --admin-password-stdin). Stops cleanly on SIGINT/SIGTERM.';
  static override examples = [
    {
      description: 'First start on the embedded store.',
      command: 'ISOTYP_ADMIN_PASSWORD=… <%= config.bin %> <%= command.id %> --org acme --admin-email admin@acme.test',
    },
    {
      description: 'A replica on PostgreSQL, behind a proxy that terminates TLS.',
      command:
        '<%= config.bin %> <%= command.id %> --db postgres://isotyp@db:5432/isotyp --host 0.0.0.0 --public-url https://isotyp.example.com',
    },
    {
      description: 'One process per core on this host, sharing the port and the embedded store.',
      command: '<%= config.bin %> <%= command.id %> --workers auto',
    },
    {
      description: 'With traces sent to an OpenTelemetry collector (one trace in ten).',
      command: '<%= config.bin %> <%= command.id %> --otlp-endpoint http://127.0.0.1:4318 --trace-sample-ratio 0.1',
    },
  ];
  static override flags = {
    port: Flags.integer({
      summary: 'Port to listen on (0 picks a free one).',
      default: 7300,
      env: 'ISOTYP_PORT',
      min: 0,
      max: 65535,
    }),
    host: Flags.string({ summary: 'Address to listen on.', default: '127.0.0.1', env: 'ISOTYP_HOST' }),
    db: Flags.string({
      summary: 'Store: sqlite:<path> or postgres://… (password from PGPASSWORD).',
      default: 'sqlite:./isotyp-cp.db',
      env: 'ISOTYP_DB',
    }),
    'public-url': Flags.string({
      summary: 'URL clients use to reach this server (token issuer); default http://HOST:PORT.',
      env: 'ISOTYP_PUBLIC_URL',
    }),
    org: Flags.string({
      summary: 'Id of the first organisation (empty database only).',
      default: 'default',
      env: 'ISOTYP_ORG',
    }),
    'admin-email': Flags.string({
      summary: 'Email of the first admin (empty database only).',
      env: 'ISOTYP_ADMIN_EMAIL',
    }),
    'admin-password-stdin': Flags.boolean({ summary: 'Read the first admin’s password from stdin.' }),
    'write-ca': Flags.string({
      summary:
        "Write the agent CA's certificate (public) to this file once started, for clients to trust (NODE_EXTRA_CA_CERTS).",
    }),
    tls: Flags.boolean({
      summary: 'Serve HTTPS with a certificate from the agent CA, and accept agents’ client certificates.',
      env: 'ISOTYP_TLS',
    }),
    'otlp-endpoint': Flags.string({
      summary:
        'Send OpenTelemetry traces to this OTLP/HTTP collector (base URL, e.g. http://127.0.0.1:4318); off when unset.',
      env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    }),
    'trace-sample-ratio': Flags.string({
      summary: 'Share of new traces recorded, 0–1 (a caller’s sampled flag is followed); default 1.',
      env: 'OTEL_TRACES_SAMPLER_ARG',
    }),
    'nats-url': Flags.string({
      summary: 'Also publish every event to this NATS JetStream server (nats://host:4222), stream ISOTYP_EVENTS.',
      env: 'ISOTYP_NATS_URL',
    }),
    'webhooks-allow-http': Flags.boolean({
      summary: 'Accept http:// webhook URLs (receivers on a trusted network only); https:// is required otherwise.',
      env: 'ISOTYP_WEBHOOKS_ALLOW_HTTP',
    }),
    workers: Flags.string({
      summary: 'Processes serving requests on this host, sharing the port: a number, or auto (one per core).',
      description:
        'Each worker is a whole control plane on the same store; a primary process starts them, restarts one that dies, sums their rate-limit counts and metrics and passes their log lines on. 1 (the default) serves from this process alone.',
      default: '1',
      env: 'ISOTYP_WORKERS',
    }),
    'log-level': Flags.option({
      options: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const,
      default: 'info',
      env: 'ISOTYP_LOG_LEVEL',
    })(),
  };

  async run(): Promise<{ url: string; bootstrapped: boolean; workers: number }> {
    const { flags } = await this.parse(ServerStart);
    const { startControlPlane } = await import('../../services/server.js');
    const running = await startControlPlane({
      port: flags.port,
      host: flags.host,
      db: flags.db,
      publicUrl: flags['public-url'],
      org: flags.org,
      adminEmail: flags['admin-email'],
      adminPasswordStdin: flags['admin-password-stdin'],
      logLevel: flags['log-level'],
      logToStderr: this.jsonEnabled(),
      tls: flags.tls,
      writeCa: flags['write-ca'],
      otlpEndpoint: flags['otlp-endpoint'],
      traceSampleRatio: flags['trace-sample-ratio'],
      natsUrl: flags['nats-url'],
      webhooksAllowHttp: flags['webhooks-allow-http'],
      workers: flags.workers,
    });
    if (!this.jsonEnabled()) {
      this.logToStderr(
        `Isotyp control plane on ${running.url}${running.bootstrapped ? ` (created organisation ${flags.org})` : ''}` +
          `${running.workers > 1 ? `, ${running.workers} workers` : ''}. Ctrl-C stops it.` +
          (flags.tls && running.caFingerprint !== undefined
            ? `\nAgent CA fingerprint (SHA-256): ${running.caFingerprint}`
            : ''),
      );
    }
    await running.stopped;
    return { url: running.url, bootstrapped: running.bootstrapped, workers: running.workers };
  }
}
