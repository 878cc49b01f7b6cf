import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type ErrorCode, IsotypError, isErrorCode, isIsotypError } from '@isotyp/protocol';
import { z } from 'zod';
import { activeTracing } from '../tracing.js';
import type { Session, SessionFile } from './session.js';

/** How the client proves who it is. */
export type Credentials =
  | { kind: 'none' }
  /** A CI token (ISOTYP_TOKEN): sent as is, never refreshed, never written anywhere. */
  | { kind: 'token'; token: string }
  /** A signed-in user: the access token is refreshed on ISOTYP_TOKEN_EXPIRED and saved back. */
  | { kind: 'session'; session: Session; file: SessionFile };

export interface ClientOptions {
  /** Base URL, already normalised (see `normalizeServer`). */
  server: string;
  credentials?: Credentials;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts after a network error or a retryable answer. Default 2. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * HTTPS to a control plane with its own CA (agents): trust only `ca`, and present `cert` with
   * `key` as the client certificate when given. Node's TLS checks the chain and the host name.
   */
  tls?: { ca: string; cert?: string; key?: string };
}

export interface RequestOptions {
  query?: Record<string, string | number | readonly string[] | undefined>;
  body?: unknown;
  /** Writes get a fresh random key per call unless one is given; retries reuse it. */
  idempotencyKey?: string;
  /** Retry network errors and retryable answers (default true). */
  retry?: boolean;
  /** Send the credentials (default true). */
  auth?: boolean;
}

/** `POST /v1/auth/login`, `/refresh` and `/device/token` answer with this pair. */
export const tokenPairSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresIn: z.number().int().positive(),
  tokenType: z.string(),
});
export type TokenPair = z.infer<typeof tokenPairSchema>;

/** Retry-After values above this are not waited for: the error is reported instead. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * The CLI's HTTP client for the control plane: JSON in and out, a bearer token, an
 * `Idempotency-Key` on every write (the same key on each retry of one call), bounded retries
 * of network errors and retryable answers, a timeout per attempt, and the automatic refresh of
 * an expired access token with the rotated pair written back to the session file. Every failure
 * is an IsotypError: the server's own code, message and hint, or ISOTYP_UNAVAILABLE /
 * ISOTYP_TIMEOUT naming the server — never a token or a password.
 *
 * @example
 * const client = new ControlPlaneClient({ server, credentials: { kind: 'token', token } });
 * const { projects } = await client.get('/v1/projects', z.object({ projects: z.array(projectSchema) }));
 */
export class ControlPlaneClient {
  readonly server: string;
  #credentials: Credentials;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #tls: ClientOptions['tls'];
  #dispatcher: Promise<{ fetch: typeof fetch; dispatcher: unknown }> | undefined;

  constructor(options: ClientOptions) {
    this.#tls = options.tls;
    this.server = options.server;
    this.#credentials = options.credentials ?? { kind: 'none' };
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 2;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
  }

  get credentials(): Credentials {
    return this.#credentials;
  }

  /** Global fetch; with `tls`, undici's own fetch and an agent holding the CA and client certificate. */
  #transport(): Promise<{ fetch: typeof fetch; dispatcher: unknown }> {
    const tls = this.#tls;
    if (tls === undefined) return Promise.resolve({ fetch, dispatcher: undefined });
    this.#dispatcher ??= import('undici').then((undici) => ({
      fetch: undici.fetch as unknown as typeof fetch,
      dispatcher: new undici.Agent({ connect: tls }),
    }));
    return this.#dispatcher;
  }

  async get<S extends z.ZodType>(path: string, schema: S, query?: RequestOptions['query']): Promise<z.output<S>> {
    return parseAnswer(schema, await this.request('GET', path, query === undefined ? {} : { query }), `GET ${path}`);
  }

  async post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    options: Omit<RequestOptions, 'body'> = {},
  ): Promise<z.output<S>> {
    return parseAnswer(schema, await this.request('POST', path, { ...options, body }), `POST ${path}`);
  }

  async patch<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
    return parseAnswer(schema, await this.request('PATCH', path, { body }), `PATCH ${path}`);
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path, {});
  }

  /**
   * Opens a long-lived GET — a server-sent event stream — and resolves with the answer's body
   * once its status is 2xx. Only the wait for that status is timed, never the stream; nothing is
   * retried (a follower reconnects on its own terms). A refusal is an IsotypError as for `get`,
   * after one refresh of an expired session token. `signal` ends the request and the stream.
   *
   * @example
   * const body = await client.stream('/v1/events', { query: { after: 41 }, signal });
   */
  async stream(
    path: string,
    options: { query?: RequestOptions['query']; signal?: AbortSignal } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#withFreshToken(() => this.#open(path, options));
  }

  async #open(
    path: string,
    options: { query?: RequestOptions['query']; signal?: AbortSignal },
  ): Promise<ReadableStream<Uint8Array>> {
    const headers = { ...this.#headers({}, undefined), accept: 'text/event-stream' };
    // One signal for the request and its body: the caller's, and the timeout until the status
    // arrives — cleared then, so it never cuts the stream.
    const cut = new AbortController();
    const stop = () => cut.abort(options.signal?.reason);
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(() => cut.abort(new DOMException('no answer in time', 'TimeoutError')), this.#timeoutMs);
    let response: Response;
    try {
      const transport = await this.#transport();
      response = await transport.fetch(this.#url(path, options.query), {
        method: 'GET',
        headers,
        signal: cut.signal,
        ...(transport.dispatcher === undefined ? {} : { dispatcher: transport.dispatcher }),
      } as RequestInit);
    } catch (cause) {
      options.signal?.removeEventListener('abort', stop);
      throw this.#transportError(cut.signal.reason instanceof DOMException ? cut.signal.reason : cause);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      options.signal?.removeEventListener('abort', stop);
      throw await errorFromResponse(response, this.server);
    }
    if (response.body === null) throw this.#transportError(new Error('the answer has no body'));
    return response.body;
  }

  /** One logical call: attempts with retries, and one refresh-and-repeat on an expired token. */
  async request(method: string, path: string, options: RequestOptions): Promise<unknown> {
    const key = method === 'GET' ? undefined : (options.idempotencyKey ?? randomUUID());
    const attempts = () => this.#attempts(method, path, options, key);
    return options.auth === false ? attempts() : this.#withFreshToken(attempts);
  }

  /** Runs `work`, and once more after refreshing the session when its access token had expired. */
  async #withFreshToken<T>(work: () => Promise<T>): Promise<T> {
    const credentials = this.#credentials;
    const session = credentials.kind === 'session' ? credentials.session : undefined;
    try {
      return await work();
    } catch (error) {
      if (!(isIsotypError(error) && error.code === 'ISOTYP_TOKEN_EXPIRED' && session !== undefined)) throw error;
      await this.#refresh(session);
      return await work();
    }
  }

  async #attempts(method: string, path: string, options: RequestOptions, key: string | undefined): Promise<unknown> {
    const retries = options.retry === false ? 0 : this.#retries;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      const url = this.#url(path, options.query);
      const headers = this.#headers(options, key);
      // With tracing on, each attempt is a client span and carries its `traceparent`.
      const span = activeTracing()?.clientSpan(method, url, headers, attempt);
      try {
        const transport = await this.#transport();
        response = await transport.fetch(url, {
          method,
          headers,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(this.#timeoutMs),
          ...(transport.dispatcher === undefined ? {} : { dispatcher: transport.dispatcher }),
        } as RequestInit);
      } catch (cause) {
        const error = this.#transportError(cause);
        span?.end(undefined, error.code);
        if (attempt >= retries) throw error;
        await this.#sleep(backoff(attempt));
        continue;
      }
      if (response.ok) {
        try {
          const body = await readBody(response, this.server);
          span?.end(response.status);
          return body;
        } catch (cause) {
          // The timeout also covers reading the body.
          const error = isIsotypError(cause) ? cause : this.#transportError(cause);
          span?.end(response.status, error.code);
          throw error;
        }
      }
      const error = await errorFromResponse(response, this.server);
      span?.end(response.status, error.code);
      const wait = retryDelay(error, response, attempt);
      if (attempt >= retries || wait === undefined) throw error;
      await this.#sleep(wait);
    }
  }

  async #refresh(stale: Session): Promise<void> {
    const credentials = this.#credentials;
    if (credentials.kind !== 'session') return;
    await credentials.file.withLock(async () => {
      // Another command may have refreshed while we waited: take its pair, spend nothing.
      const current = readQuietly(credentials.file);
      if (current !== undefined && current.server === stale.server && current.refreshToken !== stale.refreshToken) {
        this.#credentials = { ...credentials, session: current };
        return;
      }
      let pair: TokenPair;
      try {
        // Never retried: if the server rotated the token and the answer was lost, repeating the
        // old token would look like theft and end the session.
        const answer = await this.#attempts(
          'POST',
          '/v1/auth/refresh',
          { body: { refreshToken: stale.refreshToken }, auth: false, retry: false },
          randomUUID(),
        );
        pair = parseAnswer(tokenPairSchema, answer, 'POST /v1/auth/refresh');
      } catch (error) {
        if (isIsotypError(error) && error.httpStatus === 401) throw sessionEnded(this.server, error);
        throw error;
      }
      const session: Session = { ...stale, ...sessionTokens(pair) };
      credentials.file.write(session);
      this.#credentials = { ...credentials, session };
    });
  }

  #url(path: string, query: RequestOptions['query']): URL {
    const url = new URL(`${this.server}${path}`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
    }
    return url;
  }

  #headers(options: RequestOptions, key: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (key !== undefined) headers['idempotency-key'] = key;
    const token = options.auth === false ? undefined : bearerOf(this.#credentials);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return headers;
  }

  #transportError(cause: unknown): IsotypError {
    if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) {
      return new IsotypError('ISOTYP_TIMEOUT', `The control plane at ${this.server} did not answer in time.`, {
        hint: 'Retry; if it keeps happening, check the server and the network between you.',
        details: { server: this.server, timeoutMs: this.#timeoutMs },
        cause,
      });
    }
    const reason = networkReason(cause);
    return new IsotypError('ISOTYP_UNAVAILABLE', `Cannot reach the control plane at ${this.server} (${reason}).`, {
      hint: 'Check the server URL (--server or ISOTYP_SERVER) and that the control plane is running, then retry.',
      details: { server: this.server, reason },
      cause,
    });
  }
}

/**
 * Whether a request's failure left its outcome unknown — the control plane out of reach, too slow,
 * or still running an earlier request with the same Idempotency-Key — rather than answered: the
 * same request, sent again later, may still succeed (or be replayed).
 *
 * @example
 * if (unanswered(error)) queueForLater(request);
 */
export function unanswered(error: unknown): error is IsotypError {
  return (
    isIsotypError(error) &&
    (error.code === 'ISOTYP_UNAVAILABLE' ||
      error.code === 'ISOTYP_TIMEOUT' ||
      error.code === 'ISOTYP_IDEMPOTENCY_IN_PROGRESS')
  );
}

/** The session fields a token pair sets. */
export function sessionTokens(
  pair: TokenPair,
  now = Date.now(),
): Pick<Session, 'accessToken' | 'refreshToken' | 'expiresAt'> {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: new Date(now + pair.expiresIn * 1000).toISOString(),
  };
}

/** Validates an answer; a mismatch means the two sides speak different API versions. */
export function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new IsotypError(
    'ISOTYP_UNSUPPORTED_VERSION',
    `The control plane's answer to ${what} is not what this CLI expects.`,
    {
      hint: 'The CLI and the control plane may be different versions; upgrade the older one.',
      details: { issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) },
    },
  );
}

function bearerOf(credentials: Credentials): string | undefined {
  switch (credentials.kind) {
    case 'none':
      return undefined;
    case 'token':
      return credentials.token;
    case 'session':
      return credentials.session.accessToken;
    default: {
      const never: never = credentials;
      return never;
    }
  }
}

function readQuietly(file: SessionFile): Session | undefined {
  try {
    return file.read();
  } catch {
    return undefined;
  }
}

function sessionEnded(server: string, cause: IsotypError): IsotypError {
  return new IsotypError('ISOTYP_NOT_SIGNED_IN', `Your session with ${server} has ended.`, {
    hint: `Sign in again: isotyp login --server ${server}`,
    details: { server, reason: cause.code },
    cause,
  });
}

async function readBody(response: Response, server: string): Promise<unknown> {
  const text = await response.text();
  if (response.status === 204 || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', `The server at ${server} did not answer with JSON.`, {
      hint: 'Check that --server points at an Isotyp control plane.',
      details: { server, status: response.status },
    });
  }
}

const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    requestId: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The server's error body as an IsotypError with its code and hint; a foreign answer by status. */
async function errorFromResponse(response: Response, server: string): Promise<IsotypError> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const parsed = errorBodySchema.safeParse(body);
  if (parsed.success && isErrorCode(parsed.data.error.code)) {
    const { code, message, hint, requestId, details } = parsed.data.error;
    const extra = { ...(details ?? {}), ...(requestId === undefined ? {} : { requestId }) };
    return new IsotypError(code, message, {
      ...(hint === undefined ? {} : { hint }),
      ...(Object.keys(extra).length === 0 ? {} : { details: extra }),
    });
  }
  const code = codeForStatus(response.status);
  return new IsotypError(code, `The server at ${server} answered HTTP ${response.status} without an Isotyp error.`, {
    hint:
      response.status === 404
        ? 'Check that --server points at an Isotyp control plane (and at its root, not a sub-path).'
        : 'Retry later; if it persists, ask the control plane operator.',
    details: { server, status: response.status },
  });
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'ISOTYP_UNAUTHENTICATED';
  if (status === 403) return 'ISOTYP_FORBIDDEN';
  if (status === 404) return 'ISOTYP_NOT_FOUND';
  if (status === 408 || status === 504) return 'ISOTYP_TIMEOUT';
  if (status === 429) return 'ISOTYP_RATE_LIMITED';
  if (status >= 500) return 'ISOTYP_UNAVAILABLE';
  return 'ISOTYP_INVALID_INPUT';
}

/** How long to wait before repeating after this answer, or undefined when it is final. */
function retryDelay(error: IsotypError, response: Response, attempt: number): number | undefined {
  const inProgress = error.code === 'ISOTYP_IDEMPOTENCY_IN_PROGRESS';
  if (!error.retryable && !inProgress) return undefined;
  const header = response.headers.get('retry-after');
  if (header === null) return backoff(attempt);
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds < 0) return backoff(attempt);
  return seconds * 1000 > MAX_RETRY_AFTER_MS ? undefined : seconds * 1000;
}

function backoff(attempt: number): number {
  return 250 * 2 ** attempt + Math.floor(Math.random() * 100);
}

/** A short, secret-free reason for a failed connection: the system error code when there is one. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code !== '') return code;
    current = current.cause;
  }
  return 'network error';
}
