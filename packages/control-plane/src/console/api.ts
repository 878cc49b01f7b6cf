import { randomUUID } from 'node:crypto';
import { IsotypError, isErrorCode } from '@isotyp/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import { innerBindings } from '../http/preset-header.js';

/** Calls the control plane's own HTTP API in-process: the Hono app's `fetch`. */
export type ApiFetch = (request: Request, env: unknown) => Response | Promise<Response>;

/** An error answer of the API, as the console shows it. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  hint?: string;
}

/**
 * The console reads and writes through the public API, as the signed-in person, in-process:
 * each call is a request through the whole middleware chain (authentication, RBAC, privacy
 * modes, rate limits, audit), so the console can never show or do more than `isotyp` on the
 * same account could. Nothing is read from the store behind the API's back.
 *
 * @example
 * const api = new ConsoleApi(fetchApi, c, accessToken);
 * const { changes } = await api.get<{ changes: ChangeSummary[] }>('/v1/changes?state=in_review');
 */
export class ConsoleApi {
  constructor(
    private readonly fetchApi: ApiFetch,
    private readonly c: Context<AppEnv>,
    private readonly accessToken: string | undefined,
  ) {}

  /** A 2xx answer's JSON; anything else throws a ConsoleApiError. */
  async get<T>(path: string): Promise<T> {
    const answer = await this.call('GET', path);
    if (answer.status >= 300) throw new ConsoleApiError(answer.error as ApiError);
    return answer.body as T;
  }

  /** Like `get`, but an error answer is returned (e.g. to show "you cannot see this" in place). */
  async tryGet<T>(path: string): Promise<{ ok: true; body: T } | { ok: false; error: ApiError }> {
    const answer = await this.call('GET', path);
    return answer.status < 300 ? { ok: true, body: answer.body as T } : { ok: false, error: answer.error as ApiError };
  }

  /**
   * A POST of JSON text as given (the API's strict JSON rules judge it, not the console), with
   * an idempotency key: the browser's own when it sent one, so a retried click is one write.
   */
  async post(
    path: string,
    bodyText: string,
    idempotencyKey: string = randomUUID(),
  ): Promise<{ status: number; body: unknown; error?: ApiError }> {
    return this.call('POST', path, bodyText, idempotencyKey);
  }

  private async call(method: string, path: string, bodyText?: string, idempotencyKey?: string) {
    const headers = new Headers({ accept: 'application/json' });
    if (this.accessToken !== undefined) headers.set('authorization', `Bearer ${this.accessToken}`);
    const requestId = this.c.get('requestId');
    if (requestId !== undefined) headers.set('x-request-id', requestId);
    if (bodyText !== undefined) headers.set('content-type', 'application/json');
    if (idempotencyKey !== undefined) headers.set('idempotency-key', idempotencyKey);
    const url = new URL(path, this.c.req.url);
    const response = await this.fetchApi(
      new Request(url, { method, headers, ...(bodyText === undefined ? {} : { body: bodyText }) }),
      innerBindings(this.c),
    );
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status < 300) return { status: response.status, body };
    const error = (body as { error?: Partial<ApiError> } | undefined)?.error;
    return {
      status: response.status,
      body,
      error: {
        status: response.status,
        code: typeof error?.code === 'string' ? error.code : 'ISOTYP_INTERNAL',
        message: typeof error?.message === 'string' ? error.message : 'The control plane could not answer.',
        ...(typeof error?.hint === 'string' ? { hint: error.hint } : {}),
      },
    };
  }
}

/** An API error carried up to the page, which renders it in place. */
export class ConsoleApiError extends IsotypError {
  readonly answer: ApiError;
  constructor(answer: ApiError) {
    super(isErrorCode(answer.code) ? answer.code : 'ISOTYP_INTERNAL', answer.message, {
      ...(answer.hint === undefined ? {} : { hint: answer.hint }),
    });
    this.answer = answer;
  }
}
