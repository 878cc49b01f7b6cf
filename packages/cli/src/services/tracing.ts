import { IsotypError, isIsotypError } from '@isotyp/protocol';
import { z } from 'zod';

/** The `tracing` section of the agent configuration (the same shape as the control plane's). */
export const tracingConfigSchema = z.strictObject({
  /** The collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended). */
  otlpEndpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. http://127.0.0.1:4318' }),
  serviceName: z.string().min(1).max(100).optional(),
  /** Share of new traces recorded, 0–1; default 1. */
  sampleRatio: z.number().min(0).max(1).optional(),
});
export type TracingConfig = z.infer<typeof tracingConfigSchema>;

export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP JSON). */
  tracesUrl: string;
  serviceName: string;
  sampleRatio: number;
}

export interface TracingLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** One HTTP request's span; `end` once the outcome is known (status, or the error's code). */
export interface ClientSpan {
  end(status: number | undefined, errorType?: string): void;
}

export interface ActiveTracing {
  /** Runs `work` in a span named `name`, a child of the span `work` was called in (if any). */
  step<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T>;
  /** A client span for one request to `url`, a child of the current span; adds `traceparent` to `headers`. */
  clientSpan(method: string, url: URL, headers: Record<string, string>, resendCount: number): ClientSpan;
  /** Sends what is buffered and stops (bounded: a collector that is down does not hold it long). */
  shutdown(): Promise<void>;
}

let active: ActiveTracing | undefined;

/**
 * Tracing for this process from its settings: the agent configuration's `tracing` section,
 * overridden by the standard environment (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, used as is;
 * OTEL_EXPORTER_OTLP_ENDPOINT, a base URL; OTEL_SERVICE_NAME; OTEL_TRACES_SAMPLER_ARG;
 * OTEL_SDK_DISABLED=true turns it off). Undefined when no endpoint is set: tracing is off. A
 * malformed endpoint or ratio is ISOTYP_CONFIG_INVALID.
 *
 * @example
 * const settings = resolveTracing(config.tracing, process.env, 'isotyp-agent');
 * if (settings) await startTracing(settings, logger);
 */
export function resolveTracing(
  fromFile: TracingConfig | undefined,
  env: NodeJS.ProcessEnv,
  defaultServiceName: string,
): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exact = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || fromFile?.otlpEndpoint;
  const endpoint = exact ?? base;
  if (endpoint === undefined) return undefined;
  const source =
    exact !== undefined
      ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
      : env.OTEL_EXPORTER_OTLP_ENDPOINT
        ? 'OTEL_EXPORTER_OTLP_ENDPOINT'
        : 'tracing.otlpEndpoint';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `${source} is not an http(s) URL.`, {
      hint: 'Give the OTLP/HTTP collector’s base URL, e.g. http://127.0.0.1:4318, or unset it to turn tracing off.',
    });
  }
  const ratioText = env.OTEL_TRACES_SAMPLER_ARG;
  const sampleRatio = ratioText ? Number(ratioText) : (fromFile?.sampleRatio ?? 1);
  if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The trace sample ratio must be a number from 0 to 1.', {
      hint: 'Set OTEL_TRACES_SAMPLER_ARG (or tracing.sampleRatio) to e.g. 0.1, or leave it out to record every trace.',
    });
  }
  if (exact === undefined && !url.pathname.endsWith('/v1/traces')) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  }
  return {
    tracesUrl: url.href,
    serviceName: env.OTEL_SERVICE_NAME || fromFile?.serviceName || defaultServiceName,
    sampleRatio,
  };
}

/** Starts tracing once per process (the SDK is loaded here, not before); later calls return it. */
export async function startTracing(settings: TracingSettings, log: TracingLog): Promise<ActiveTracing> {
  if (active !== undefined) return active;
  const { createTracing } = await import('./tracing-sdk.js');
  active ??= createTracing(settings, log);
  return active;
}

/** The running tracing, or undefined when off (then callers do nothing extra). */
export function activeTracing(): ActiveTracing | undefined {
  return active;
}

/** Flushes and stops tracing; a no-op when it is off. */
export async function stopTracing(): Promise<void> {
  const running = active;
  active = undefined;
  await running?.shutdown();
}

/**
 * `work` in a span named `name` when tracing is on; just `work()` when it is off.
 *
 * @example
 * await traced('isotyp.agent.heartbeat', { 'isotyp.targets.count': 2 }, () => sendHeartbeat(targets));
 */
export function traced<T>(
  name: string,
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
): Promise<T> {
  return active === undefined ? work() : active.step(name, attributes, work);
}

/** The `error.type` of a failure: its Isotyp code, or ISOTYP_INTERNAL. */
export function errorType(error: unknown): string {
  return isIsotypError(error) ? error.code : 'ISOTYP_INTERNAL';
}
