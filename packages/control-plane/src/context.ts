import type { Logger } from 'pino';
import type { CiAction, RoleGrantRecord } from './storage/store.js';

/**
 * Who is calling, once authentication has run. A user carries their role grants (RBAC checks
 * them per route); a CI token carries the one project, environment and actions it was scoped to.
 */
export type Principal =
  | {
      kind: 'user';
      orgId: string;
      userId: string;
      email: string;
      grants: RoleGrantRecord[];
    }
  | {
      kind: 'ci';
      orgId: string;
      tokenId: string;
      projectId: string;
      environmentId: string;
      actions: CiAction[];
    }
  | {
      /** An enrolled agent, known by the client certificate it presented over TLS. */
      kind: 'agent';
      orgId: string;
      agentId: string;
    };

/** Hono's environment for every route and middleware of the control plane. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The app's logger (`requestLogger(c)` binds it to the request id). */
    logger: Logger;
    /** Set by the authentication middleware; absent on public routes. */
    principal?: Principal;
    /** The tightest rate limit passed so far: what the RateLimit and RateLimit-Policy fields of the answer say. */
    rateLimit?: { name: string; remaining: number; resetSeconds: number; policy: string };
    /** The console session's CSRF token, when this response (re)started the session. */
    consoleCsrf?: string;
  };
}

/** A stable string for rate limiting and idempotency: one per user or CI token. */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `user:${principal.userId}`;
    case 'ci':
      return `ci:${principal.tokenId}`;
    case 'agent':
      return `agent:${principal.agentId}`;
  }
}
