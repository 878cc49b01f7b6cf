import { z } from 'zod';
import type { ControlPlaneClient } from './client.js';

export const roleNames = ['admin', 'approver', 'dba', 'ci', 'agent', 'auditor', 'viewer'] as const;

const grantSchema = z
  .object({ id: z.string(), role: z.enum(roleNames), scope: z.record(z.string(), z.unknown()) })
  .passthrough();
export const userSchema = z
  .object({ id: z.string(), email: z.string(), displayName: z.string(), grants: z.array(grantSchema) })
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
    roles: (typeof roleNames)[number][];
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
