import { IsotypError } from '@isotyp/protocol';
import type { SecretStore } from './secret-store.js';

/** How a target URL names a secret: `postgres://app@db/prod?password=keychain:prod-db`. */
export const SECRET_REFERENCE = /^keychain:(.+)$/;

/** True when the URL's password comes from the secret store. */
export function hasSecretReference(targetUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(targetUrl) && /[?&]password=keychain(:|%3A)/i.test(targetUrl);
}

/**
 * The target URL with `password=keychain:NAME` replaced by the secret's value, as the URL's
 * password — for the connection only: the resolved URL is never printed, logged or stored
 * (every display of a target goes through redactTargetUrl). Config files and CI variables hold
 * the reference, never the password.
 *
 * @example
 * await resolveTargetSecrets('postgres://app@db:5432/prod?password=keychain:prod-db', store)
 */
export async function resolveTargetSecrets(targetUrl: string, store: SecretStore): Promise<string> {
  if (!hasSecretReference(targetUrl)) return targetUrl;
  const url = new URL(targetUrl);
  const reference = url.searchParams.get('password') ?? '';
  const name = SECRET_REFERENCE.exec(reference)?.[1] ?? '';
  const value = await store.get(name);
  if (value === undefined) {
    throw new IsotypError('ISOTYP_NOT_FOUND', `No secret "${name}" in ${store.location}.`, {
      hint: `Store it with: isotyp secrets set ${name} (the value is read from standard input).`,
    });
  }
  url.searchParams.delete('password');
  url.password = value;
  return url.toString();
}
