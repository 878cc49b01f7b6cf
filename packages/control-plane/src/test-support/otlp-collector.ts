import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the collector received it, flattened from OTLP/JSON. */
export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  attributes: Record<string, string | number | boolean>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

/**
 * A real OTLP/HTTP trace receiver on loopback: `POST /v1/traces` with an OTLP/JSON body (what
 * `@opentelemetry/exporter-trace-otlp-http` sends), answered as a collector does. It keeps every
 * body as received (`raw`, to search for leaked secrets) and the spans flattened (`spans`).
 *
 * @example
 * const collector = await startOtlpCollector();
 * // … point an exporter at collector.url …
 * expect(collector.spans.some((s) => s.name === 'GET /healthz')).toBe(true);
 * await collector.close();
 */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const raw: string[] = [];
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        res.writeHead(415, { 'content-type': 'application/json' }).end('{"message":"send OTLP/JSON"}');
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      raw.push(text);
      try {
        spans.push(...flatten(JSON.parse(text)));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"malformed OTLP/JSON"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"partialSuccess":{}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new OtlpCollector(server, raw, spans);
}

export class OtlpCollector {
  constructor(
    private readonly server: Server,
    /** Every request body, as received. */
    readonly raw: string[],
    readonly spans: CollectedSpan[],
  ) {}

  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Polls every 100 ms until a span matches or `ms` pass (exports are batched). */
  async waitFor(match: (span: CollectedSpan) => boolean, ms = 20_000): Promise<CollectedSpan | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.spans.find(match);
      if (found !== undefined || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function flatten(body: {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        status?: { code?: number; message?: string };
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        out.push({
          service: String(resource['service.name'] ?? ''),
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId ?? ''),
          name: span.name,
          kind: span.kind,
          status: {
            code: span.status?.code ?? 0,
            ...(span.status?.message ? { message: span.status.message } : {}),
          },
          attributes: attributesOf(span.attributes),
        });
      }
    }
  }
  return out;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

/** OTLP/JSON ids are hex; a base64 encoder's ids (protobuf-JSON style) are turned into hex. */
function hex(id: string): string {
  return /^[0-9a-f]*$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');
}
