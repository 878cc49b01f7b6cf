import { z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import type { Context } from 'hono';
import { type AppEnv, type Principal, principalKey } from '../context.js';
import { keptAnswer } from '../http/kept-answer.js';
import { authorize, type ObjectScope, type Permission } from '../identity/rbac.js';

/** The error body every route answers with, for the OpenAPI document. */
export const errorResponse = {
  content: {
    'application/json': {
      schema: z
        .object({
          error: z.object({
            code: z.string(),
            message: z.string(),
            hint: z.string().optional(),
            retryable: z.boolean(),
            requestId: z.string().optional(),
            details: z.record(z.string(), z.unknown()).optional(),
          }),
        })
        .openapi('Error'),
    },
  },
  description: 'A stable error code, a sentence and a hint.',
};

/** The usual 4xx answers of an authenticated route. */
export const authErrors = {
  400: errorResponse,
  401: errorResponse,
  403: errorResponse,
  404: errorResponse,
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** Checks the route's permission for the caller at `scope` (or anywhere); returns the principal. */
export function allow(c: Context<AppEnv>, permission: Permission, scope?: ObjectScope, anywhere = false): Principal {
  return authorize(c.get('principal'), permission, scope, anywhere);
}

/** The caller's actor string for audit entries. */
export function actorOf(principal: Principal): string {
  return principalKey(principal);
}

/** Where a caller finds the ids of each kind: the CLI command, and the API route behind it. */
const listedBy: Record<string, string> = {
  agent: 'isotyp agents list (GET /v1/agents)',
  change: 'isotyp changes list (GET /v1/changes)',
  environment: 'isotyp envs list --project P (GET /v1/projects/{projectId}/environments)',
  grant: 'isotyp users list (GET /v1/users)',
  project: 'isotyp projects list (GET /v1/projects)',
  suggestion: 'isotyp suggestions list (GET /v1/suggestions)',
  target: 'isotyp targets list (GET /v1/targets)',
  token: 'isotyp tokens list (GET /v1/tokens)',
  user: 'isotyp users list (GET /v1/users)',
  webhook: 'GET /v1/webhooks',
};

/** ISOTYP_NOT_FOUND for an object that does not exist in the caller's organisation. */
export function notFound(kind: string, id: string): IsotypError {
  const where = listedBy[kind] ?? `GET /v1/${kind}s`;
  return new IsotypError('ISOTYP_NOT_FOUND', `No ${kind} ${id} in your organisation.`, {
    hint: `List them with ${where} to find the right id.`,
    details: { kind, id },
  });
}

/** Returns the value, or throws not-found when it is undefined. */
export function found<T>(value: T | undefined, kind: string, id: string): T {
  if (value === undefined) throw notFound(kind, id);
  return value;
}

/**
 * Records with each one's JSON written once: list routes keep these in a ReadCache and join the
 * ones a caller may see, instead of serialising the same rows on every request.
 */
export interface SerialisedRows<R> {
  rows: readonly R[];
  json: readonly string[];
}

export function serialiseRows<R>(rows: readonly R[], view: (row: R) => unknown): SerialisedRows<R> {
  return { rows, json: rows.map((row) => JSON.stringify(view(row))) };
}

/**
 * A list route's answer: `wrap` puts the JSON array of the rows `keep` lets through into the
 * body. When it keeps every row — a caller who may read the whole page, the usual case — the
 * body is made once per page and kept with it as bytes (a page is replaced when what it was read
 * from changes, never altered), so that a busy list costs about what sending it costs rather
 * than joining and encoding the same kilobytes on every request. `wrap` must give the same text
 * for the same page.
 *
 * @example
 * return jsonArrayAnswer(c, page, (r) => allowsRead(principal, r), (array) => `{"changes":${array}}`);
 */
export function jsonArrayAnswer<R>(
  c: Context<AppEnv>,
  page: SerialisedRows<R>,
  keep: (row: R) => boolean,
  wrap: (array: string) => string,
): never {
  const { rows, json } = page;
  const kept = json.filter((_, i) => keep(rows[i] as R));
  if (kept.length < json.length) return jsonText(c, wrap(`[${kept.join(',')}]`));
  let bytes = wholePages.get(page);
  if (bytes === undefined) {
    bytes = Buffer.from(wrap(`[${kept.join(',')}]`));
    wholePages.set(page, bytes);
  }
  return jsonText(c, bytes);
}

/** Each page's answer when a caller may read all of it (see jsonArrayAnswer). */
const wholePages = new WeakMap<SerialisedRows<unknown>, Uint8Array<ArrayBuffer>>();

/**
 * A 200 answer whose JSON is already written: as text, or as its UTF-8 bytes when the route
 * keeps it to send many times (then gzip-compressed for clients that accept it, see
 * keptAnswer). Typed as `never` so that an OpenAPI route whose schema describes that JSON
 * accepts it; the JSON must match the route's response schema.
 */
export function jsonText(c: Context<AppEnv>, text: string | Uint8Array<ArrayBuffer>): never {
  if (typeof text !== 'string') return keptAnswer(c, text) as never;
  return c.body(text, 200, { 'content-type': 'application/json' }) as never;
}
