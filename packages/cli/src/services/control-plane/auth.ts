import { setTimeout as delay } from 'node:timers/promises';
import { IsotypError, isIsotypError, roles } from '@isotyp/protocol';
import { z } from 'zod';
import { ControlPlaneClient, parseAnswer, sessionTokens, type TokenPair, tokenPairSchema } from './client.js';
import { normalizeServer, type SessionFile } from './session.js';

const scopeSchema = z.object({
  kind: z.enum(['org', 'project', 'environment']),
  projectId: z.string().optional(),
  environmentId: z.string().optional(),
});
export const grantSchema = z.object({ id: z.string(), role: z.enum(roles), scope: scopeSchema });
export type Grant = z.infer<typeof grantSchema>;

/** `GET /v1/auth/whoami`: a person with grants, or a CI token with its scope. */
export const whoamiSchema = z.object({
  kind: z.enum(['user', 'ci']),
  orgId: z.string(),
  userId: z.string().optional(),
  email: z.string().optional(),
  grants: z.array(grantSchema).optional(),
  ci: z
    .object({
      tokenId: z.string(),
      projectId: z.string(),
      environmentId: z.string(),
      actions: z.array(z.string()),
    })
    .optional(),
});
export type Whoami = z.infer<typeof whoamiSchema>;

/** What `isotyp login` reports: never a token. */
export interface LoginResult {
  server: string;
  org: string;
  email: string;
  userId: string | undefined;
  expiresAt: string;
}

export async function whoami(client: ControlPlaneClient): Promise<Whoami> {
  return client.get('/v1/auth/whoami', whoamiSchema);
}

/**
 * Signs in with a password and saves the session (mode 0600).
 *
 * @example
 * await passwordLogin({ server, org: 'acme', email: 'ana@acme.test', password }, sessionFile());
 */
export async function passwordLogin(
  input: { server: string; org: string; email: string; password: string },
  file: SessionFile,
): Promise<LoginResult> {
  const client = new ControlPlaneClient({ server: normalizeServer(input.server) });
  const pair = await client.post(
    '/v1/auth/login',
    { org: input.org, email: input.email, password: input.password },
    tokenPairSchema,
  );
  return saveSession(client.server, pair, file, input.email);
}

/** The device authorization the person finishes in a browser. */
export const deviceStartSchema = z.object({
  deviceCode: z.string().min(1),
  userCode: z.string(),
  verificationUri: z.string(),
  verificationUriComplete: z.string().optional(),
  interval: z.number().int().nonnegative(),
  expiresIn: z.number().int().positive(),
});
export type DeviceStart = z.infer<typeof deviceStartSchema>;

export interface DeviceLoginOptions {
  /** Shows the person where to go and which code to enter. */
  prompt(start: DeviceStart): void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * The OIDC device flow (RFC 8628) through the control plane: start, show the code, then poll,
 * waiting `interval` seconds between polls and 5 s more after each `slow_down`, until the
 * person approves (tokens), refuses (`access_denied`) or the code expires.
 */
export async function deviceLogin(
  server: string,
  file: SessionFile,
  options: DeviceLoginOptions,
): Promise<LoginResult> {
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const now = options.now ?? Date.now;
  const client = new ControlPlaneClient({ server: normalizeServer(server) });
  const start = await client.post('/v1/auth/device', {}, deviceStartSchema);
  options.prompt(start);
  const deadline = now() + start.expiresIn * 1000;
  let intervalMs = Math.max(start.interval, 1) * 1000;
  for (;;) {
    await sleep(intervalMs);
    if (now() > deadline) throw deviceEnded('expired_token');
    try {
      const pair = await client.post('/v1/auth/device/token', { deviceCode: start.deviceCode }, tokenPairSchema);
      return await saveSession(client.server, pair, file, undefined);
    } catch (error) {
      const oauth = isIsotypError(error) ? error.details?.oauth : undefined;
      if (oauth === 'authorization_pending') continue;
      if (oauth === 'slow_down') {
        intervalMs += 5000;
        continue;
      }
      if (typeof oauth === 'string') throw deviceEnded(oauth, error);
      throw error;
    }
  }
}

function deviceEnded(oauth: string, cause?: unknown): IsotypError {
  const message =
    oauth === 'access_denied'
      ? 'The sign-in was refused at the identity provider.'
      : oauth === 'expired_token'
        ? 'The sign-in code expired before it was used.'
        : `The sign-in could not be completed (${oauth}).`;
  return new IsotypError('ISOTYP_UNAUTHENTICATED', message, {
    hint: 'Start again with isotyp login --device.',
    details: { oauth },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Asks who the new token speaks for, then writes the session file. */
async function saveSession(server: string, pair: TokenPair, file: SessionFile, email: string | undefined) {
  const me = parseAnswer(
    whoamiSchema,
    await new ControlPlaneClient({ server, credentials: { kind: 'token', token: pair.accessToken } }).request(
      'GET',
      '/v1/auth/whoami',
      {},
    ),
    'GET /v1/auth/whoami',
  );
  const tokens = sessionTokens(pair);
  const resolvedEmail = me.email ?? email ?? '';
  file.write({ server, ...tokens, org: me.orgId, email: resolvedEmail });
  return { server, org: me.orgId, email: resolvedEmail, userId: me.userId, expiresAt: tokens.expiresAt };
}

/**
 * Ends the session: the server revokes the refresh token, then the file is removed. The file is
 * removed even when the server cannot be reached or refuses; `revoked` then says it was not
 * revoked server-side and `reason` gives the error code.
 */
export async function logout(
  file: SessionFile,
): Promise<{ server: string | undefined; revoked: boolean; reason?: string }> {
  const session = file.read();
  if (session === undefined) return { server: undefined, revoked: false, reason: 'not signed in' };
  const client = new ControlPlaneClient({ server: session.server, retries: 1, timeoutMs: 10_000 });
  let reason: string | undefined;
  try {
    await client.request('POST', '/v1/auth/logout', { body: { refreshToken: session.refreshToken }, auth: false });
  } catch (error) {
    if (!isIsotypError(error)) throw error;
    reason = error.code;
  }
  file.delete();
  return { server: session.server, revoked: reason === undefined, ...(reason === undefined ? {} : { reason }) };
}
