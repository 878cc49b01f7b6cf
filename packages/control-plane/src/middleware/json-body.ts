import { IsotypError, type JsonValue } from '@isotyp/protocol';
import type { Context, HonoRequest, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { assertDeclaredLength, readBodyLimited } from '../http/read-body.js';
import { MAX_REQUEST_JSON_DEPTH, parseStrictJson } from '../http/strict-json.js';

/** `application/json`, optionally with `charset=utf-8`; nothing else is JSON to this API. */
const JSON_MEDIA_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes (the `bodyLimitBytes` setting). */
  limitBytes: number;
  maxDepth?: number;
}

/**
 * Each request this middleware has handled, with its parsed body (`undefined` when it had none):
 * for `jsonBodyOf` (idempotency hashes it), `requireJsonBody`, and to make a second mounting a
 * no-op instead of a read of the already consumed stream.
 */
const parsedBodies = new WeakMap<HonoRequest, { value: JsonValue | undefined }>();

/**
 * Reads and parses request bodies for the whole app, so every route gets the same strict rules:
 * a POST, PUT, PATCH or DELETE may carry a Content-Type only of `application/json`, and must
 * carry it when it has a body (415 otherwise: a JSON document sent as text/plain must not reach
 * validation as `{}`, and zod-openapi's own 415 would surface as a 500); the body is
 * counted while it streams and refused past `limitBytes` (413); it must be UTF-8 JSON (400
 * ISOTYP_MALFORMED_JSON), nested at most `maxDepth` levels and free of `__proto__`,
 * `constructor` and `prototype` keys (400 ISOTYP_INVALID_INPUT). A JSON content type with an
 * empty body is malformed JSON.
 *
 * The parsed value then becomes what `c.req.json()` returns, and so what the zod-openapi
 * validators check: they call `c.req.json()`, and Hono's own implementation would parse the
 * text a second time with none of these checks.
 *
 * @example
 * app.use(jsonBody({ limitBytes: config.bodyLimitBytes }));
 */
export function jsonBody({
  limitBytes,
  maxDepth = MAX_REQUEST_JSON_DEPTH,
}: JsonBodyOptions): MiddlewareHandler<AppEnv> {
  return async function jsonBodyMiddleware(c, next) {
    const raw = c.req.raw;
    if (!BODY_METHODS.has(c.req.method) || raw.body === null || parsedBodies.has(c.req)) return next();
    assertDeclaredLength(raw, limitBytes);
    const contentType = c.req.header('content-type');
    if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType)) throw unsupportedMediaType(contentType);
    if (contentType === undefined) {
      // No Content-Type is fine only without a body. A declared one is refused unread; an
      // undeclared one (no length, not chunked: seen only outside Node's HTTP server) is read,
      // within the limit, to see whether it is empty.
      const declared = c.req.header('content-length');
      const hasBody =
        (declared !== undefined && declared !== '0') ||
        c.req.header('transfer-encoding') !== undefined ||
        (declared === undefined && (await readBodyLimited(raw, limitBytes)).byteLength > 0);
      if (hasBody) throw unsupportedMediaType(contentType);
      cacheBody(c, new Uint8Array(0), '');
      parsedBodies.set(c.req, { value: undefined });
      return next();
    }
    const bytes = await readBodyLimited(raw, limitBytes);
    if (bytes.byteLength === 0) {
      throw new IsotypError('ISOTYP_MALFORMED_JSON', 'The request body is empty, but its Content-Type says JSON.', {
        hint: 'Send a JSON document, or drop the Content-Type header when there is nothing to send.',
      });
    }
    const { text, value } = parseStrictJson(bytes, maxDepth);
    cacheBody(c, bytes, text);
    parsedBodies.set(c.req, { value });
    // Hono's json() re-parses the cached text; hand out the value checked above instead.
    c.req.json = <T>() => Promise.resolve(value as T);
    return next();
  };
}

/**
 * The JSON body `jsonBody` parsed for this request, or `undefined` when it had none.
 *
 * @example
 * const body = jsonBodyOf(c); // { name: 'app' }
 */
export function jsonBodyOf(c: Context): JsonValue | undefined {
  return parsedBodies.get(c.req)?.value;
}

/**
 * For a route whose JSON body is required: refuses a request that came without one. zod-openapi
 * validates an absent body as `{}` (its validator skips parsing when no Content-Type is sent),
 * so a schema whose fields are all optional would otherwise accept an empty POST. Put it in the
 * route's `middleware`, which runs before the validators.
 *
 * @example
 * createRoute({ method: 'post', path: '/v1/things', middleware: [requireJsonBody()] as const, … })
 */
export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async function requireJsonBodyMiddleware(c, next) {
    if (parsedBodies.get(c.req)?.value === undefined) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', 'This endpoint expects a JSON request body.', {
        hint: 'Send a JSON document with Content-Type: application/json.',
      });
    }
    await next();
  };
}

/**
 * The raw stream is consumed: later `text()` and `arrayBuffer()` calls read these instead. Hono
 * keeps promises in `bodyCache` (it chains `.then` on them) although its type names the values.
 */
function cacheBody(c: Context, bytes: Uint8Array, text: string): void {
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache.text = Promise.resolve(text);
  cache.arrayBuffer = Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function unsupportedMediaType(contentType: string | undefined): IsotypError {
  return new IsotypError(
    'ISOTYP_UNSUPPORTED_MEDIA_TYPE',
    contentType === undefined
      ? 'The request has a body but no Content-Type.'
      : `The request body is ${contentType.split(';')[0]?.trim() || 'of an unknown type'}, not JSON.`,
    {
      hint: 'Send the body as JSON with Content-Type: application/json.',
    },
  );
}
