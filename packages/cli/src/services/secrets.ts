import { hasSecretReference, type OpenedSecretStore, openSecretStore, resolveTargetSecrets } from '@isotyp/agent';
import { isotypHome } from '../config.js';

/** The machine's secret store; its notice (the keychain fallback) goes to stderr, once. */
export async function secretStore(env: NodeJS.ProcessEnv = process.env): Promise<OpenedSecretStore> {
  const opened = await openSecretStore({ home: isotypHome(env), env });
  if (opened.notice !== undefined) process.stderr.write(`Note: ${opened.notice}\n`);
  return opened;
}

/** A target URL with `?password=keychain:NAME` resolved from the secret store (see --target). */
export async function withTargetSecrets(targetUrl: string): Promise<string> {
  // No reference, no secret store: a machine without one still works with plain URLs.
  if (!hasSecretReference(targetUrl)) return targetUrl;
  const { store } = await secretStore();
  return resolveTargetSecrets(targetUrl, store);
}
