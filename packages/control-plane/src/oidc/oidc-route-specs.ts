import { createRoute, z } from '@hono/zod-openapi';
import { tokenPairSchema } from '../identity/schemas.js';
import { errorResponse, jsonBody, jsonResponse } from '../routes/route-kit.js';
import { MAX_SEALED_CHARS } from './sealed-state.js';

/** The console's callback, as registered at the IdP (`<publicUrl>/v1/auth/oidc/callback`). */
export const CALLBACK_PATH = '/v1/auth/oidc/callback';

const redirectResponse = (description: string) => ({
  description,
  headers: z.object({ location: z.string() }),
});

export const start = createRoute({
  method: 'get',
  path: '/v1/auth/oidc/start',
  tags: ['auth'],
  summary: 'Console sign-in through the OpenID provider: redirect there (authorization code + PKCE)',
  request: {
    query: z.object({
      return_to: z.string().max(2048).optional().openapi({ description: 'A path on this server, e.g. /console/.' }),
    }),
  },
  responses: {
    302: redirectResponse('To the IdP; sets the short-lived sealed login-state cookie.'),
    400: errorResponse,
    404: errorResponse,
    502: errorResponse,
  },
});

export const callback = createRoute({
  method: 'get',
  path: CALLBACK_PATH,
  tags: ['auth'],
  summary: 'Where the IdP sends the browser back: checks state, exchanges the code, starts the session',
  request: {
    query: z.object({
      code: z.string().max(4096).optional(),
      state: z.string().max(1024).optional(),
      iss: z.string().max(2048).optional(),
      error: z.string().max(256).optional(),
      error_description: z.string().max(2048).optional(),
    }),
  },
  responses: {
    302: redirectResponse('To return_to; sets the console session cookies.'),
    400: errorResponse,
    401: errorResponse,
    403: errorResponse,
    404: errorResponse,
    409: errorResponse,
    502: errorResponse,
  },
});

const deviceAuthorizationSchema = z
  .object({
    deviceCode: z.string().openapi({ description: 'Opaque handle to poll with; not the IdP’s device code.' }),
    userCode: z.string(),
    verificationUri: z.string(),
    verificationUriComplete: z.string().optional(),
    interval: z.number().int().openapi({ description: 'Seconds to wait between polls.' }),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the handle expires.' }),
  })
  .openapi('DeviceAuthorization');

export const device = createRoute({
  method: 'post',
  path: '/v1/auth/device',
  tags: ['auth'],
  summary: 'CLI sign-in: start a device authorization at the OpenID provider (RFC 8628)',
  request: { body: { required: false, content: { 'application/json': { schema: z.strictObject({}) } } } },
  responses: {
    200: jsonResponse(deviceAuthorizationSchema, 'Show userCode and verificationUri to the user, then poll.'),
    404: errorResponse,
    502: errorResponse,
  },
});

export const deviceToken = createRoute({
  method: 'post',
  path: '/v1/auth/device/token',
  tags: ['auth'],
  summary: 'CLI sign-in: ask once whether the device authorization was approved',
  description:
    'Until approved: 401 ISOTYP_UNAUTHENTICATED with details.oauth = authorization_pending (poll again after ' +
    'interval), slow_down (add 5 s), expired_token or access_denied (start again), invalid_grant (start again).',
  request: { body: jsonBody(z.strictObject({ deviceCode: z.string().min(1).max(MAX_SEALED_CHARS) })) },
  responses: {
    200: jsonResponse(tokenPairSchema, 'The control plane’s own access and refresh token.'),
    400: errorResponse,
    401: errorResponse,
    403: errorResponse,
    404: errorResponse,
    409: errorResponse,
    502: errorResponse,
  },
});
