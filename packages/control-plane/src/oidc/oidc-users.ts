import { IsotypError } from '@isotyp/protocol';
import { appendAudit } from '../audit/audit-log.js';
import { newId } from '../ids.js';
import type { RoleGrantRecord, Store, UserRecord } from '../storage/store.js';
import type { OidcIdentity } from './relying-party.js';

export interface OidcUsersOptions {
  store: Store;
  /** Organisation first-time OIDC users join (`config.oidc.orgId`). */
  orgId: string;
  now: () => Date;
}

/** The role every user created by an OIDC sign-in starts with; admins grant more. */
export const OIDC_DEFAULT_ROLE = 'viewer';

/**
 * Maps an identity vouched for by the IdP to an Isotyp user, by `(iss, sub)` only — never by
 * email, which an IdP may let people choose. The first sign-in creates the user in the configured
 * organisation with an org-wide `viewer` grant (read-only; an admin grants more through the
 * users API); later sign-ins find the same user wherever an admin has since moved their grants.
 *
 * - A disabled user is refused (ISOTYP_UNAUTHENTICATED, as for passwords).
 * - An email the IdP marks unverified is refused for a new user: it would claim that address in
 *   the organisation.
 * - An email that already belongs to another user of the organisation (a local password account)
 *   is ISOTYP_CONFLICT: linking the two is an admin's decision, not the IdP's.
 * - Two first sign-ins racing: the store refuses the second insert; the loser reads the winner.
 *
 * @example
 * const user = await resolveOidcUser({ store, orgId: 'acme', now }, identity);
 */
export async function resolveOidcUser(options: OidcUsersOptions, identity: OidcIdentity): Promise<UserRecord> {
  const { store } = options;
  const existing = await store.users.byOidc(identity.issuer, identity.subject);
  if (existing !== undefined) return usable(existing);

  const email = identity.email?.trim().toLowerCase();
  if (email === undefined || email === '' || !email.includes('@')) {
    throw new IsotypError('ISOTYP_IDP_ERROR', 'The identity provider did not share an email address for this user.', {
      hint: 'An operator should allow the email scope (or claim) for the Isotyp client at the identity provider.',
    });
  }
  if (identity.emailVerified === false) {
    throw new IsotypError('ISOTYP_UNAUTHENTICATED', 'The identity provider has not verified this email address.', {
      hint: 'Verify the address at the identity provider, then sign in again.',
    });
  }
  if ((await store.orgs.get(options.orgId)) === undefined) {
    throw new IsotypError(
      'ISOTYP_CONFIG_INVALID',
      `oidc.orgId names organisation ${options.orgId}, which does not exist.`,
      {
        hint: 'Create the organisation first (isotyp org init), or correct oidc.orgId.',
      },
    );
  }
  const createdAt = options.now().toISOString();
  const user: UserRecord = {
    id: newId('usr'),
    orgId: options.orgId,
    email,
    displayName: (identity.name ?? email).slice(0, 200),
    oidcIssuer: identity.issuer,
    oidcSubject: identity.subject,
    disabled: false,
    createdAt,
  };
  try {
    await store.users.create(user);
  } catch (error) {
    if (!(error instanceof IsotypError && error.code === 'ISOTYP_CONFLICT')) throw error;
    const winner = await store.users.byOidc(identity.issuer, identity.subject);
    if (winner !== undefined) return usable(winner);
    throw new IsotypError('ISOTYP_CONFLICT', `Another account of this organisation already uses ${email}.`, {
      hint: 'Sign in with that account, or ask an organisation admin to link it to your identity provider.',
    });
  }
  // Separate writes (the store has no multi-call transaction): a crash between them leaves a user
  // with no grant, who can sign in and do nothing — the safe side.
  const grant: RoleGrantRecord = {
    id: newId('grt'),
    orgId: user.orgId,
    userId: user.id,
    role: OIDC_DEFAULT_ROLE,
    scope: { kind: 'org' },
    createdAt,
  };
  await store.grants.create(grant);
  await appendAudit(
    store,
    {
      orgId: user.orgId,
      actor: `user:${user.id}`,
      action: 'user.create',
      entity: { kind: 'user', id: user.id },
      details: { source: 'oidc', issuer: identity.issuer, role: grant.role, grantId: grant.id },
    },
    options.now(),
  );
  return user;
}

function usable(user: UserRecord): UserRecord {
  if (user.disabled) {
    throw new IsotypError('ISOTYP_UNAUTHENTICATED', 'This account is disabled.', {
      hint: 'Ask an organisation admin to enable it.',
    });
  }
  return user;
}
