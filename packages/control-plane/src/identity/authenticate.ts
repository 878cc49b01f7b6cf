import type { TLSSocket } from 'node:tls';
import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Principal } from '../context.js';
import { ReadCache } from '../storage/read-cache.js';
import type { AgentRecord, Store } from '../storage/store.js';
import type { AccessTokens } from './access-tokens.js';
import { CI_TOKEN_PREFIX, type CiTokens } from './ci-tokens.js';
import { REFRESH_TOKEN_PREFIX } from './refresh-tokens.js';

export interface AuthenticateOptions {
  store: Store;
  tokens: AccessTokens;
  ciTokens: CiTokens;
}

/** The URI name the agent CA puts in every agent certificate (agents/certificate-authority.ts). */
const AGENT_URI = /(?:^|, )URI:urn:isotyp:agent:([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)(?:,|$)/;

/** Certificate serials compared as numbers: hex, lower-case, no leading zeros. */
const serial = (hex: string) => hex.toLowerCase().replace(/^0+/, '');

/** Signed-in callers remembered at most (a few MB). */
const PRINCIPALS_KEPT = 10_000;

/** RFC 6750 b64token, with a length cap so a 1 MB header is refused before any parsing. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_CHARS = 8192;

function unauthenticated(message: string, hint = 'Send Authorization: Bearer <token>; isotyp login gives one.') {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', message, { hint });
}

/**
 * Resolves `Authorization: Bearer …` into `c.var.principal`: an access token (JWT) becomes a user
 * with their current role grants, an `isotyp_ci_…` token becomes its CI scope. No header leaves
 * the principal unset, so public routes work and protected ones answer 401 through `authorize()`.
 * A header that is present but wrong is always a 401: a client that meant to authenticate should
 * hear that it failed rather than be served as anonymous.
 *
 * @example
 * app.use('*', authenticate({ store, tokens, ciTokens }));
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<AppEnv> {
  const { store, tokens, ciTokens } = options;
  // A verified token and the user's grants, kept until a signing key, the user or any grant
  // changes (here or on another replica) — so that checking a signature and reading the user
  // on every request does not cost more than the request itself.
  const users = new ReadCache<{ principal: Principal; expiresAt: number }>(store, {
    tables: ['signingKeys', 'users', 'roleGrants'],
    max: PRINCIPALS_KEPT,
  });
  // Agents, by their certificate's URI name, until an agent is revoked or re-certified.
  const agents = new ReadCache<AgentRecord | undefined>(store, { tables: ['agents'], max: PRINCIPALS_KEPT });
  const peers = new WeakMap<TLSSocket, { orgId: string; agentId: string; serial: string } | null>();
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      // Most requests repeat a header already verified: that answer is taken without waiting a
      // turn. Past its expiry a token goes through verification again, which refuses it.
      const known = users.peek(header);
      c.set(
        'principal',
        known !== undefined && tokens.stillValid(known.expiresAt) ? known.principal : await resolve(header),
      );
    } else {
      const agent = await agentOf(c.env);
      if (agent !== undefined) c.set('principal', agent);
    }
    await next();
  };

  /**
   * The agent whose client certificate Node's TLS accepted for this connection (it chains to the
   * agent CA), named by its URI; refused when revoked or when the certificate is not the agent's
   * current one. No certificate, or one the handshake did not accept: nobody.
   */
  async function agentOf(env: unknown): Promise<Principal | undefined> {
    const socket = (env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket as TLSSocket | undefined;
    if (socket === undefined || !('authorized' in socket) || !socket.authorized) return undefined;
    // The certificate is the connection's: read and parsed once per connection, not per request.
    let peer = peers.get(socket);
    if (peer === undefined) {
      const certificate = socket.getPeerCertificate();
      const named = AGENT_URI.exec(certificate.subjectaltname ?? '');
      peer =
        named === null ? null : { orgId: named[1] ?? '', agentId: named[2] ?? '', serial: certificate.serialNumber };
      peers.set(socket, peer);
    }
    if (peer === null) return undefined;
    const { orgId, agentId } = peer;
    const agent = await agents.get(`${orgId}\n${agentId}`, () => store.agents.get(orgId, agentId));
    if (agent === undefined || agent.revokedAt !== undefined) {
      throw unauthenticated('This agent is revoked.', 'Enrol the machine again with a new token: isotyp agent enroll.');
    }
    if (serial(agent.certificateSerial) !== serial(peer.serial)) {
      throw unauthenticated(
        'This certificate is not the agent’s current one.',
        'Use the newest certificate in $ISOTYP_HOME/agent.',
      );
    }
    return { kind: 'agent', orgId, agentId };
  }

  async function resolve(header: string): Promise<Principal> {
    const token = header.length <= MAX_TOKEN_CHARS + 16 ? BEARER.exec(header)?.[1] : undefined;
    if (token === undefined) throw unauthenticated('The Authorization header is not a Bearer token.');
    if (token.startsWith(CI_TOKEN_PREFIX)) {
      const record = await ciTokens.verify(token);
      return {
        kind: 'ci',
        orgId: record.orgId,
        tokenId: record.id,
        projectId: record.projectId,
        environmentId: record.environmentId,
        actions: record.actions,
      };
    }
    if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
      throw unauthenticated(
        'A refresh token cannot authorise a request.',
        'Exchange it for an access token with POST /v1/auth/refresh.',
      );
    }
    // Kept by the whole header, so that a repeated one is found before it is parsed again.
    const known = await users.get(header, () => verifyUser(token));
    // Past its expiry the token goes through verification again, which refuses it as expired.
    return tokens.stillValid(known.expiresAt) ? known.principal : (await verifyUser(token)).principal;
  }

  async function verifyUser(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    const claims = await tokens.verify(token);
    // The user is read (or the cache checked against the users table) on every request so that
    // disabling an account or changing a grant takes effect at once, not when the token expires.
    const user = await store.users.get(claims.orgId, claims.userId);
    if (user === undefined || user.disabled) throw unauthenticated('This account cannot sign in.');
    const grants = await store.grants.forUser(user.orgId, user.id);
    const principal: Principal = { kind: 'user', orgId: user.orgId, userId: user.id, email: user.email, grants };
    return { principal, expiresAt: claims.expiresAt };
  }
}

/**
 * The caller, for routes open to anyone signed in whatever their roles (whoami). Every other
 * route names a permission through `authorize()` instead.
 */
export function requirePrincipal(principal: Principal | undefined): Principal {
  if (principal === undefined) throw unauthenticated('This route needs a signed-in user or a CI token.');
  return principal;
}
