/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { AppEnv } from '../context.js';
import type { ApiError } from './api.js';

/** A console page as HTML5, with its status. */
export function html(c: Context<AppEnv>, element: Child, status: 200 | 401 | 403 | 404 | 409 | 429 | 400 | 500 = 200) {
  return c.html(
    <>
      {raw('<!DOCTYPE html>')}
      {element}
    </>,
    status,
  );
}

/** An asset: cached for good when asked for by its content hash, revalidated otherwise. */
export function asset(c: Context<AppEnv>, file: { body: string; hash: string; type: string }) {
  const versioned = c.req.query('v') === file.hash;
  return c.body(file.body, 200, {
    'content-type': file.type,
    'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: `"${file.hash}"`,
  });
}

/** The status a page answers with for an API error (the API's own, 5xx as 500). */
export function pageStatus(error: ApiError): 400 | 403 | 404 | 409 | 429 | 500 {
  const allowed = [400, 403, 404, 409, 429] as const;
  return (allowed as readonly number[]).includes(error.status) ? (error.status as 400 | 403 | 404 | 409 | 429) : 500;
}
