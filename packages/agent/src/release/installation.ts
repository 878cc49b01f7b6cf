import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import {
  decodePublicKey,
  type Envelope,
  IsotypError,
  keyId,
  RELEASE_MANIFEST_ENVELOPE_TYPE,
  type ReleaseManifest,
  releaseManifestSchema,
  sealEnvelope,
  verifyEnvelope,
} from '@isotyp/protocol';

/**
 * The files of an installation that the release manifest covers, relative to the workspace (or
 * install) root: every package's compiled code and package.json, the CLI's entry point and its
 * command manifest.
 * Third-party modules are pinned by the lockfile's integrity hashes, not here.
 */
export const INSTALLED_PACKAGES = ['protocol', 'agent', 'cli', 'control-plane'] as const;

/** `sha256:` hex of every covered file under `root`, sorted by path. */
export function hashInstallation(root: string): Record<string, string> {
  const files: string[] = [];
  for (const pkg of INSTALLED_PACKAGES) {
    const base = join(root, 'packages', pkg);
    if (!existsSync(base)) continue;
    files.push(join(base, 'package.json'));
    // The CLI's command manifest tells oclif which module runs a command: covered too.
    if (existsSync(join(base, 'oclif.manifest.json'))) files.push(join(base, 'oclif.manifest.json'));
    for (const dir of ['dist', 'bin']) if (existsSync(join(base, dir))) files.push(...walk(join(base, dir)));
  }
  const hashes: Record<string, string> = {};
  for (const file of files.sort()) {
    hashes[relative(root, file).split(sep).join('/')] =
      `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
  }
  return hashes;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    // Source maps and declarations are not run; .tsbuildinfo is a build cache.
    return /\.(js|mjs|cjs|json|node)$/.test(entry.name) && !entry.name.endsWith('.tsbuildinfo') ? [path] : [];
  });
}

/** A signed manifest of the installation at `root`. */
export function signInstallation(
  root: string,
  options: { version: string; channel: ReleaseManifest['channel']; secretKey: Uint8Array; now?: Date },
): Envelope<ReleaseManifest> {
  const manifest: ReleaseManifest = {
    name: 'isotyp',
    version: options.version,
    channel: options.channel,
    builtAt: (options.now ?? new Date()).toISOString(),
    files: hashInstallation(root),
  };
  return sealEnvelope({
    type: RELEASE_MANIFEST_ENVELOPE_TYPE,
    payload: manifest,
    secretKey: options.secretKey,
  }) as Envelope<ReleaseManifest>;
}

export interface InstallationCheck {
  version: string;
  channel: ReleaseManifest['channel'];
  signer: string;
  files: number;
}

/**
 * Checks the installation at `root` against its signed manifest: signed by one of `trusted`
 * (base64url public keys), every listed file present with its hash, no covered file unlisted.
 * Throws ISOTYP_SIGNATURE_INVALID (bad or untrusted signature) or ISOTYP_DIGEST_MISMATCH
 * (files changed, missing or added), with the paths in details.
 *
 * @example
 * verifyInstallation(root, JSON.parse(readFileSync(manifestPath, 'utf8')), trustedKeys);
 */
export function verifyInstallation(root: string, manifest: unknown, trusted: readonly string[]): InstallationCheck {
  const keys = new Map(
    trusted.map((text) => {
      const key = decodePublicKey(text);
      return [keyId(key), key] as const;
    }),
  );
  let opened: ReturnType<typeof verifyEnvelope<typeof releaseManifestSchema>>;
  try {
    opened = verifyEnvelope(manifest, { type: RELEASE_MANIFEST_ENVELOPE_TYPE, keys, payload: releaseManifestSchema });
  } catch (cause) {
    throw new IsotypError('ISOTYP_SIGNATURE_INVALID', 'The release manifest is not signed by a trusted release key.', {
      hint: 'Reinstall Isotyp from its release; a development build verifies only with its key in ISOTYP_RELEASE_KEYS.',
      cause,
    });
  }
  const actual = hashInstallation(root);
  const expected = opened.payload.files;
  const changed = Object.keys(expected).filter((path) => actual[path] !== undefined && actual[path] !== expected[path]);
  const missing = Object.keys(expected).filter((path) => actual[path] === undefined);
  const added = Object.keys(actual).filter((path) => expected[path] === undefined);
  if (changed.length + missing.length + added.length > 0) {
    throw new IsotypError(
      'ISOTYP_DIGEST_MISMATCH',
      'The installed files are not the ones the release manifest lists.',
      {
        hint: 'Reinstall Isotyp; until then the agent does not start (isotyp agent start --skip-verify overrides).',
        details: { changed: changed.slice(0, 50), missing: missing.slice(0, 50), added: added.slice(0, 50) },
      },
    );
  }
  return {
    version: opened.payload.version,
    channel: opened.payload.channel,
    signer: opened.signer,
    files: Object.keys(expected).length,
  };
}
