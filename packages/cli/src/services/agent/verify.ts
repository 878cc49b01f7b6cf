import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type InstallationCheck, verifyInstallation } from '@isotyp/agent';
import { IsotypError } from '@isotyp/protocol';

/** The workspace (install) root, the manifest beside the CLI, the keys shipped with it. */
const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const MANIFEST = fileURLToPath(new URL('../../../release-manifest.json', import.meta.url));
const SHIPPED_KEYS = fileURLToPath(new URL('../../../release-keys.json', import.meta.url));

/**
 * `isotyp agent verify`: the installed files against the signed release manifest. Trusted keys:
 * those shipped in release-keys.json and any in ISOTYP_RELEASE_KEYS (comma-separated).
 */
export function verifyThisInstallation(env: NodeJS.ProcessEnv = process.env): InstallationCheck {
  if (!existsSync(MANIFEST)) {
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', 'This installation has no release manifest.', {
      hint: 'Reinstall Isotyp from a release (a checkout gets one from pnpm build).',
    });
  }
  const shipped = (JSON.parse(readFileSync(SHIPPED_KEYS, 'utf8')) as { keys: string[] }).keys;
  const extra = (env.ISOTYP_RELEASE_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return verifyInstallation(ROOT, JSON.parse(readFileSync(MANIFEST, 'utf8')), [...shipped, ...extra]);
}
