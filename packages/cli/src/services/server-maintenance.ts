import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import {
  checkPassphrase,
  type PassphraseRotation,
  rotatePassphrase,
  rotateSigningKeys,
  type SigningKeyRotation,
  sqliteFile,
} from '@isotyp/control-plane';
import { IsotypError, isIsotypError } from '@isotyp/protocol';
import { passphraseFile, UNFINISHED, unfinished } from './server.js';

export interface RotatePassphraseOptions {
  db: string;
  /** Read the new passphrase from stdin (else ISOTYP_NEW_CA_PASSPHRASE; else, for the embedded default, a random one). */
  newPassphraseStdin: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface RotatePassphraseResult extends PassphraseRotation {
  /** The embedded default's passphrase file, which now holds the new passphrase. */
  passphraseFile?: string;
  /** True when this run only finished an earlier one that stopped after its commit. */
  finishedEarlierRun?: boolean;
}

/** Errors `rotatePassphrase` raises before it commits anything: the new passphrase was not taken up. */
const REFUSED = new Set(['ISOTYP_USAGE', 'ISOTYP_CONFIG_INVALID', 'ISOTYP_CONFLICT']);

/**
 * `isotyp server rotate-passphrase`: the current passphrase from ISOTYP_CA_PASSPHRASE or the
 * embedded default's file; the new one from stdin, ISOTYP_NEW_CA_PASSPHRASE or — for the
 * embedded default only — made here and written to its file.
 *
 * The file is replaced without a window in which neither passphrase can be found: the new one
 * is written beside it first (`….ca-passphrase.new`), the database moved over, and the file
 * renamed into place. A run that stops in between leaves the `.new` file, the server refuses to
 * start beside it, and the next run finishes the job, whichever side of the commit it stopped on.
 */
export async function rotateServerPassphrase(options: RotatePassphraseOptions): Promise<RotatePassphraseResult> {
  const env = options.env ?? process.env;
  const { current, file } = currentPassphrase(options.db, env);
  const given = options.newPassphraseStdin
    ? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
    : env.ISOTYP_NEW_CA_PASSPHRASE || undefined;
  if (file === undefined) {
    if (given === undefined) {
      throw new IsotypError('ISOTYP_USAGE', 'No new passphrase was given.', {
        hint: 'Pipe it in with --new-passphrase-stdin, or set ISOTYP_NEW_CA_PASSPHRASE.',
      });
    }
    return rotatePassphrase(options.db, current, given);
  }
  const pending = `${file}${UNFINISHED}`;
  if (existsSync(pending)) return finishEarlierRun(options.db, file, current, given);
  const next = given ?? randomBytes(32).toString('base64url');
  writeFileSync(pending, next, { mode: 0o600, flag: 'wx' });
  let moved: PassphraseRotation;
  try {
    moved = await rotatePassphrase(options.db, current, next);
  } catch (error) {
    // Refused before its commit: the old passphrase still holds. Anything else may have come
    // after it, so the new one is kept for the next run to settle.
    if (isIsotypError(error) && REFUSED.has(error.code)) rmSync(pending, { force: true });
    throw error;
  }
  renameSync(pending, file);
  return { ...moved, passphraseFile: file };
}

/**
 * `isotyp server rotate-signing-key`: a new key for access tokens, the current passphrase sealing
 * it as the server would.
 */
export async function rotateServerSigningKey(options: {
  db: string;
  revokePrevious: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<SigningKeyRotation> {
  const { current, file } = currentPassphrase(options.db, options.env ?? process.env);
  if (file !== undefined && existsSync(`${file}${UNFINISHED}`)) throw unfinished(options.db);
  return rotateSigningKeys(options.db, current, { revokePrevious: options.revokePrevious });
}

/**
 * The passphrase the server runs with, as `isotyp server start` finds it: ISOTYP_CA_PASSPHRASE,
 * else the embedded default's file (`file`, which is then the one to replace) — never made here.
 */
function currentPassphrase(database: string, env: NodeJS.ProcessEnv): { current: string; file?: string } {
  // Maintenance works on a database a server made: a mistyped path must not become a new one.
  const path = sqliteFile(database);
  if (path !== undefined && path !== ':memory:' && path !== '' && !existsSync(path)) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `There is no control plane database at ${path}.`, {
      hint: 'Check --db (or ISOTYP_DB): it names the store isotyp server start runs on.',
    });
  }
  const fromEnv = env.ISOTYP_CA_PASSPHRASE || undefined;
  if (fromEnv !== undefined) return { current: fromEnv };
  const file = passphraseFile(database);
  if (file === undefined || !existsSync(file)) {
    throw new IsotypError('ISOTYP_USAGE', 'The server passphrase was not found.', {
      hint: 'Set ISOTYP_CA_PASSPHRASE to the passphrase the control plane runs with.',
    });
  }
  return { current: readFileSync(file, 'utf8').trim(), file };
}

/** An earlier run left its new passphrase beside the file: move over now, or finish what it committed. */
async function finishEarlierRun(
  database: string,
  file: string,
  current: string,
  given: string | undefined,
): Promise<RotatePassphraseResult> {
  const pending = `${file}${UNFINISHED}`;
  const next = readFileSync(pending, 'utf8').trim();
  if (given !== undefined && given !== next) {
    throw new IsotypError('ISOTYP_USAGE', 'An earlier change of the passphrase did not finish.', {
      hint: 'Run the command again without a new passphrase to finish it, then rotate again.',
    });
  }
  try {
    const moved = await rotatePassphrase(database, current, next);
    renameSync(pending, file);
    return { ...moved, passphraseFile: file };
  } catch (error) {
    if (!isIsotypError(error) || error.code !== 'ISOTYP_CONFIG_INVALID') throw error;
    // The old passphrase no longer opens the database: if the new one opens all of it, the
    // earlier run committed, and only its rename is left.
    await checkPassphrase(database, next).catch(() => {
      throw error;
    });
    renameSync(pending, file);
    return { authorities: 0, secrets: 0, passphraseFile: file, finishedEarlierRun: true };
  }
}
