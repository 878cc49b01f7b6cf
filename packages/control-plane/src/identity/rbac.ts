import { IsotypError, type Role } from '@isotyp/protocol';
import type { Principal } from '../context.js';
import type { CiAction, RoleGrantRecord } from '../storage/store.js';

/**
 * Role-based access control. Every route declares one permission; a principal holds it when
 * one of their role grants gives it at the object's scope or above it (org ⊃ project ⊃
 * environment). CI tokens hold only the actions they were scoped to, in their one environment.
 */
export const permissions = [
  'org:read',
  'org:admin',
  'catalog:read',
  'catalog:write',
  'trust:read',
  'trust:write',
  'keys:register',
  'change:read',
  'change:submit',
  'change:approve',
  'change:apply',
  'tokens:manage',
  'users:manage',
  'audit:read',
  'agent:report',
] as const;
export type Permission = (typeof permissions)[number];

const read: Permission[] = ['org:read', 'catalog:read', 'trust:read', 'change:read'];

/** What each role may do. `admin` holds everything; `viewer` only reads. */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: permissions,
  approver: [...read, 'keys:register', 'change:approve'],
  // DBAs sign the policy layers that name their role (never their own change: separation of duties).
  dba: [...read, 'keys:register', 'change:submit', 'change:approve', 'change:apply'],
  ci: [...read, 'change:submit', 'change:apply'],
  agent: [...read, 'agent:report', 'change:apply'],
  auditor: [...read, 'audit:read'],
  viewer: read,
};

/** CI token actions → the permissions they carry. */
const ciActionPermissions: Record<CiAction, readonly Permission[]> = {
  read: ['catalog:read', 'change:read'],
  submit: ['change:submit', 'catalog:read', 'change:read'],
  // Applying means verifying the approvals on the agent's side: it reads the signed trust documents.
  apply: ['change:apply', 'catalog:read', 'change:read', 'trust:read'],
};

/** Where the object a request touches lives. Absent ids mean "organisation-wide". */
export interface ObjectScope {
  projectId?: string;
  environmentId?: string;
}

function grantCovers(grant: RoleGrantRecord, scope: ObjectScope): boolean {
  switch (grant.scope.kind) {
    case 'org':
      return true;
    case 'project':
      return scope.projectId === grant.scope.projectId;
    case 'environment':
      return scope.projectId === grant.scope.projectId && scope.environmentId === grant.scope.environmentId;
    default: {
      const never: never = grant.scope;
      return never;
    }
  }
}

/**
 * True when `principal` holds `permission` on an object at `scope`.
 *
 * @example
 * can(user, 'change:approve', { projectId: 'shop', environmentId: 'prod' })
 */
export function can(principal: Principal, permission: Permission, scope: ObjectScope = {}): boolean {
  if (principal.kind === 'ci') {
    if (scope.projectId !== undefined && scope.projectId !== principal.projectId) return false;
    if (scope.environmentId !== undefined && scope.environmentId !== principal.environmentId) return false;
    return principal.actions.some((action) => ciActionPermissions[action].includes(permission));
  }
  // An agent holds the agent role across its organisation (which targets it serves is for the
  // routes to decide).
  if (principal.kind === 'agent') return rolePermissions.agent.includes(permission);
  return principal.grants.some(
    (grant) => grantCovers(grant, scope) && rolePermissions[grant.role].includes(permission),
  );
}

/**
 * True when `principal` holds `permission` at some scope. Routes check this before loading an
 * object (so a caller with no business there gets 403, not a lookup), then `can` at its scope.
 */
export function canAnywhere(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'ci')
    return principal.actions.some((action) => ciActionPermissions[action].includes(permission));
  if (principal.kind === 'agent') return rolePermissions.agent.includes(permission);
  return principal.grants.some((grant) => rolePermissions[grant.role].includes(permission));
}

/** Roles `principal` holds at `scope` (used by approvals: the signer's role must match the layer). */
export function rolesAt(principal: Principal, scope: ObjectScope): Role[] {
  if (principal.kind === 'ci') return ['ci'];
  if (principal.kind === 'agent') return ['agent'];
  return [...new Set(principal.grants.filter((g) => grantCovers(g, scope)).map((g) => g.role))];
}

/**
 * Throws ISOTYP_UNAUTHENTICATED without a principal, and ISOTYP_FORBIDDEN unless it holds
 * `permission` at `scope` (or, with `anywhere`, at any scope). Routes check `anywhere` first,
 * load the object (another tenant's answers 404), then check at the object's scope.
 */
export function authorize(
  principal: Principal | undefined,
  permission: Permission,
  scope: ObjectScope = {},
  anywhere = false,
): Principal {
  if (principal === undefined) {
    throw new IsotypError('ISOTYP_UNAUTHENTICATED', 'This route needs a signed-in user or a CI token.', {
      hint: 'Send Authorization: Bearer <token>; run isotyp login to get one.',
    });
  }
  if (!(anywhere ? canAnywhere(principal, permission) : can(principal, permission, scope))) {
    throw new IsotypError('ISOTYP_FORBIDDEN', `Your roles do not allow ${permission} here.`, {
      hint: 'Ask an organisation admin for a role grant that includes it.',
      details: { permission },
    });
  }
  return principal;
}
