import { IsotypError } from '@isotyp/protocol';
import { z } from 'zod';

/**
 * The control plane's settings, read once (file → ISOTYP_* environment → flags) by the CLI and
 * passed down; nothing below reads `process.env`.
 */
export const controlPlaneConfigSchema = z.strictObject({
  /** Public base URL (issuer of access tokens, audience checks, links in the console). */
  publicUrl: z.url(),
  /** `sqlite:<path>` or `postgres://…`. */
  database: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  host: z.string().min(1),
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024),
  rateLimit: z.strictObject({
    /** Requests per window for one authenticated principal. */
    perPrincipal: z.number().int().min(1),
    /** Requests per window for one client IP (all principals and anonymous calls together). */
    perIp: z.number().int().min(1),
    windowSeconds: z.number().int().min(1),
  }),
  /** Access-token lifetime in seconds (at most 15 minutes). */
  accessTokenSeconds: z.number().int().min(30).max(900),
  refreshTokenSeconds: z
    .number()
    .int()
    .min(300)
    .max(90 * 24 * 3600),
  /** External OpenID provider; absent when only local passwords are used. */
  oidc: z
    .strictObject({
      issuer: z.url(),
      clientId: z.string().min(1),
      clientSecret: z.string().min(1).optional(),
      /** Organisation new OIDC users join. */
      orgId: z.string().min(1),
    })
    .optional(),
  /**
   * Encrypts the agent CA's private key at rest (ISOTYP_CA_PASSPHRASE). Without it agents cannot
   * enrol; `isotyp server start` keeps a generated one beside an embedded SQLite database.
   */
  caPassphrase: z.string().min(16).optional(),
  /** Lifetime of an agent's client certificate, in hours (renewed at about half of it). */
  agentCertificateHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30),
  /**
   * After a CA rotation, how long the old CA still signs the server's certificate and is trusted
   * for agents' certificates, so that every agent renews (and learns the new CA) before the
   * switch. At least twice the agent certificate's life is safe (they renew at half-life).
   */
  caOverlapSeconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 24 * 3600),
  /**
   * Serve HTTPS with a certificate from the agent CA (for the public URL's host, 127.0.0.1 and
   * localhost), and accept agents' client certificates. Needs `caPassphrase`.
   */
  tls: z.boolean(),
  /**
   * The p95 latency each replica keeps by shedding load (503 ISOTYP_OVERLOADED + Retry-After,
   * see middleware/load-shedding.ts); 0 turns shedding off.
   */
  latencyBudgetMs: z.number().int().min(0).max(60_000),
  /**
   * Also publish every event to NATS JetStream (events/nats-relay.ts), for consumers outside
   * Isotyp; absent means off.
   */
  nats: z
    .strictObject({
      url: z.string().regex(/^(nats|tls):\/\/[^\s]+$/, 'a nats:// or tls:// URL, e.g. nats://127.0.0.1:4222'),
      stream: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/)
        .default('ISOTYP_EVENTS'),
      subjectPrefix: z
        .string()
        .regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/)
        .default('isotyp.events'),
    })
    .optional(),
  /** Webhook deliveries (see events/webhook-dispatcher.ts). */
  webhooks: z.strictObject({
    maxAttempts: z.number().int().min(1).max(50),
    baseDelayMs: z.number().int().min(10).max(3_600_000),
    maxDelayMs: z
      .number()
      .int()
      .min(10)
      .max(24 * 3_600_000),
    timeoutMs: z.number().int().min(100).max(120_000),
    /**
     * Accept `http://` webhook URLs. Off by default: events are signed, but not hidden from
     * whoever can read the network; turn it on only for receivers on a trusted network.
     */
    allowHttp: z.boolean(),
  }),
  /**
   * OpenTelemetry traces, sent over OTLP/HTTP; absent means off (no SDK is loaded). The endpoint
   * is the collector's base URL as in OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended
   * unless the path already ends with it).
   */
  tracing: z
    .strictObject({
      otlpEndpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. http://127.0.0.1:4318' }),
      /** `service.name` of the spans; default `isotyp-control-plane`. */
      serviceName: z.string().min(1).max(100).optional(),
      /** Share of new traces recorded, 0–1 (a caller's sampled flag is followed); default 1. */
      sampleRatio: z.number().min(0).max(1).optional(),
    })
    .optional(),
});
export type ControlPlaneConfig = z.infer<typeof controlPlaneConfigSchema>;

export const defaultConfig: ControlPlaneConfig = {
  publicUrl: 'http://127.0.0.1:7300',
  database: 'sqlite:./isotyp-cp.db',
  port: 7300,
  host: '127.0.0.1',
  bodyLimitBytes: 1024 * 1024,
  rateLimit: { perPrincipal: 600, perIp: 1200, windowSeconds: 60 },
  accessTokenSeconds: 900,
  refreshTokenSeconds: 30 * 24 * 3600,
  agentCertificateHours: 24,
  caOverlapSeconds: 72 * 3600,
  tls: false,
  latencyBudgetMs: 150,
  webhooks: { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 3_600_000, timeoutMs: 10_000, allowHttp: false },
};

/** Defaults overlaid with `overrides`, validated; a bad value is ISOTYP_CONFIG_INVALID. */
export function resolveConfig(overrides: Partial<ControlPlaneConfig> = {}): ControlPlaneConfig {
  const parsed = controlPlaneConfigSchema.safeParse({ ...defaultConfig, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IsotypError(
      'ISOTYP_CONFIG_INVALID',
      `Control plane setting ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}.`,
      {
        hint: 'Check isotyp server start --help for the accepted values.',
      },
    );
  }
  return parsed.data;
}
