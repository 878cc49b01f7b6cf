import { IsotypError, idSchema } from '@isotyp/protocol';
import { newId } from '../ids.js';
import type { OrgRecord, RoleGrantRecord, Store, UserRecord } from '../storage/store.js';
import { hashPassword } from './passwords.js';

export interface BootstrapOrgInput {
  store: Store;
  orgId: string;
  orgName: string;
  adminEmail: string;
  adminPassword: string;
  now?: () => Date;
}

export interface BootstrapResult {
  org: OrgRecord;
  admin: UserRecord;
  grant: RoleGrantRecord;
}

/** Same floor as the users route: the first admin's password guards the whole organisation. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * Creates an organisation and its first admin (an org-wide `admin` grant). `isotyp server start`
 * calls it on an empty database; tests call it for a fixture. An existing organisation id is
 * ISOTYP_CONFLICT, so running it twice cannot add a second, unexpected admin.
 *
 * @example
 * await bootstrapOrg({ store, orgId: 'acme', orgName: 'Acme', adminEmail: 'ops@acme.test',
 *   adminPassword: 'a long passphrase' });
 */
export async function bootstrapOrg(input: BootstrapOrgInput): Promise<BootstrapResult> {
  const { store } = input;
  const createdAt = (input.now ?? (() => new Date()))().toISOString();
  if (!idSchema.safeParse(input.orgId).success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `Organisation id ${JSON.stringify(input.orgId)} is not valid.`, {
      hint: 'Use letters, digits and _ . : - only, starting with a letter or digit.',
    });
  }
  if (input.adminPassword.length < MIN_PASSWORD_LENGTH) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `The admin password needs at least ${MIN_PASSWORD_LENGTH} characters.`,
      {
        hint: 'Choose a longer passphrase.',
      },
    );
  }
  if ((await store.orgs.get(input.orgId)) !== undefined) {
    throw new IsotypError('ISOTYP_CONFLICT', `Organisation ${input.orgId} already exists.`, {
      hint: 'Sign in as its admin instead, or choose another organisation id.',
    });
  }
  const org: OrgRecord = { id: input.orgId, name: input.orgName, createdAt };
  const admin: UserRecord = {
    id: newId('usr'),
    orgId: org.id,
    email: input.adminEmail.trim().toLowerCase(),
    displayName: 'Administrator',
    passwordHash: await hashPassword(input.adminPassword),
    disabled: false,
    createdAt,
  };
  const grant: RoleGrantRecord = {
    id: newId('grt'),
    orgId: org.id,
    userId: admin.id,
    role: 'admin',
    scope: { kind: 'org' },
    createdAt,
  };
  // The store has no multi-call transaction: a crash between these writes leaves an org without
  // an admin, which a re-run reports as ISOTYP_CONFLICT instead of quietly adding one.
  await store.orgs.create(org);
  await store.users.create(admin);
  await store.grants.create(grant);
  return { org, admin, grant };
}
