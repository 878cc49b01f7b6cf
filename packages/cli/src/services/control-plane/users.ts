import { IsotypError, type Role, roles } from '@isotyp/protocol';
import { z } from 'zod';
import { namesById, resolveEnvironment, resolveProject } from './catalog.js';
import type { ControlPlaneClient } from './client.js';

const grantSchema = z
  .object({ id: z.string(), role: z.enum(roles), scope: z.record(z.string(), z.unknown()) })
  .passthrough();
export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    disabled: z.boolean().default(false),
    grants: z.array(grantSchema),
  })
  .passthrough();
export type User = z.infer<typeof userSchema>;

/**
 * Creates a user with organisation-wide roles (an admin's job). A password is optional: users
 * of an OpenID provider sign in there.
 *
 * @example
 * await createUser(client, { email: 'ben@acme.test', roles: ['approver'], password });
 */
export function createUser(
  client: ControlPlaneClient,
  input: {
    email: string;
    displayName?: string | undefined;
    roles: Role[];
    password?: string | undefined;
  },
): Promise<User> {
  return client.post(
    '/v1/users',
    {
      email: input.email,
      displayName: input.displayName ?? input.email.split('@')[0] ?? input.email,
      ...(input.password === undefined ? {} : { password: input.password }),
      grants: input.roles.map((role) => ({ role, scope: { kind: 'org' } })),
    },
    userSchema,
  );
}

export async function listUsers(client: ControlPlaneClient): Promise<User[]> {
  return (await client.get('/v1/users', z.object({ users: z.array(userSchema) }))).users;
}

/**
 * The organisation's user named by `who`: an email (any case) or a user id (`usr_…`);
 * ISOTYP_NOT_FOUND with a hint when none is.
 *
 * @example
 * const ben = await findUser(client, 'ben@acme.test');
 */
export async function findUser(client: ControlPlaneClient, who: string): Promise<User> {
  const users = await listUsers(client);
  const wanted = who.toLowerCase();
  const user = users.find((u) => u.id === who || u.email.toLowerCase() === wanted);
  if (user === undefined) {
    throw new IsotypError('ISOTYP_NOT_FOUND', `No user ${who} in your organisation.`, {
      hint: 'List them with: isotyp users list',
    });
  }
  return user;
}

/**
 * Disables a user (someone who left: no sign-in, sessions ended, access tokens refused at once)
 * or enables them again, by email or id.
 *
 * @example
 * await setUserDisabled(client, 'ben@acme.test', true);
 */
export async function setUserDisabled(client: ControlPlaneClient, who: string, disabled: boolean): Promise<User> {
  const user = await findUser(client, who);
  return client.patch(`/v1/users/${encodeURIComponent(user.id)}`, { disabled }, userSchema);
}

/** A grant's scope as `isotyp users revoke` names it: the organisation, a project, or an environment of one. */
export interface GrantScope {
  projectId?: string | undefined;
  environmentId?: string | undefined;
}

/**
 * Takes from a user (email or id) the grant of `role` at exactly `scope` (the organisation when
 * neither project nor environment is given); ISOTYP_NOT_FOUND with the grants they hold when
 * they hold no such grant.
 *
 * @example
 * await revokeGrant(client, 'ben@acme.test', 'approver', {}); // the organisation-wide one
 */
export async function revokeGrant(
  client: ControlPlaneClient,
  who: string,
  role: Role,
  scope: GrantScope,
): Promise<{ user: User; revoked: User['grants'][number]; described: string }> {
  const [user, { ids, names }] = await Promise.all([findUser(client, who), resolveScope(client, scope)]);
  const grant = user.grants.find((g) => g.role === role && sameScope(g.scope, ids));
  if (grant === undefined) {
    const held = await catalogNames(client, user.grants);
    const list = user.grants.map((g) => describeGrant(g, held)).join(', ') || 'none';
    throw new IsotypError(
      'ISOTYP_NOT_FOUND',
      `${user.email} holds no ${describeGrant({ role, scope: asScope(ids) }, names)}.`,
      {
        hint: `Their grants: ${list}.`,
      },
    );
  }
  await client.delete(`/v1/users/${encodeURIComponent(user.id)}/grants/${encodeURIComponent(grant.id)}`);
  return { user, revoked: grant, described: describeGrant(grant, names) };
}

/**
 * The scope named by id or name: its ids, and the names of its project and environment (what
 * `describeGrant` shows), read once here rather than listed again to describe the result.
 */
async function resolveScope(
  client: ControlPlaneClient,
  { projectId, environmentId }: GrantScope,
): Promise<{ ids: GrantScope; names: Map<unknown, string> }> {
  const names = new Map<unknown, string>();
  if (projectId === undefined) return { ids: {}, names };
  const project = await resolveProject(client, projectId);
  names.set(project.id, project.name);
  if (environmentId === undefined) return { ids: { projectId: project.id }, names };
  const environment = await resolveEnvironment(client, environmentId, project.id);
  names.set(environment.id, environment.name);
  return { ids: { projectId: project.id, environmentId: environment.id }, names };
}

/**
 * Grants a user (email or id) `role` at a scope: the organisation when neither project nor
 * environment is given, else that project or environment (named by id or name).
 *
 * @example
 * await addGrant(client, 'carl@acme.test', 'dba', { projectId: 'shop', environmentId: 'prod' });
 */
export async function addGrant(
  client: ControlPlaneClient,
  who: string,
  role: Role,
  scope: GrantScope,
): Promise<{ user: User; granted: User['grants'][number]; alreadyHeld: boolean; described: string }> {
  const [user, { ids, names }] = await Promise.all([findUser(client, who), resolveScope(client, scope)]);
  const granted = await client.post(
    `/v1/users/${encodeURIComponent(user.id)}/grants`,
    { role, scope: asScope(ids) },
    grantSchema,
  );
  // The server answers a grant the user already holds with that grant, so its id is one listed.
  const alreadyHeld = user.grants.some((g) => g.id === granted.id);
  return { user, granted, alreadyHeld, described: describeGrant(granted, names) };
}

function asScope({ projectId, environmentId }: GrantScope): Record<string, unknown> {
  if (environmentId !== undefined) return { kind: 'environment', projectId, environmentId };
  if (projectId !== undefined) return { kind: 'project', projectId };
  return { kind: 'org' };
}

function sameScope(held: Record<string, unknown>, wanted: GrantScope): boolean {
  const scope = asScope(wanted);
  return held.kind === scope.kind && held.projectId === scope.projectId && held.environmentId === scope.environmentId;
}

/**
 * `approver` (the organisation), `dba on shop`, `dba on shop/prod`: projects and environments
 * by their names in `names` (ids → names), else by id.
 */
export function describeGrant(
  grant: { role: string; scope: Record<string, unknown> },
  names: ReadonlyMap<unknown, string> = new Map(),
): string {
  const { kind, projectId, environmentId } = grant.scope;
  const name = (id: unknown) => names.get(id) ?? String(id);
  if (kind === 'environment') return `${grant.role} on ${name(projectId)}/${name(environmentId)}`;
  if (kind === 'project') return `${grant.role} on ${name(projectId)}`;
  return grant.role;
}

/** The names of the projects and environments `grants` name, by id (read only when one does). */
export async function catalogNames(
  client: ControlPlaneClient,
  grants: readonly { scope: Record<string, unknown> }[],
): Promise<Map<unknown, string>> {
  if (grants.every((g) => g.scope.kind === 'org')) return new Map();
  return namesById(client);
}
