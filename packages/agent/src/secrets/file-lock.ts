import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import type { IsotypError } from '@isotyp/protocol';

export interface FileLockOptions {
  /** The longest wait for another holder. */
  waitMs: number;
  /** A lock file older than this was left by a process that died: it is removed. */
  staleMs: number;
  /** The error when the wait runs out. */
  timeout: () => IsotypError;
}

/**
 * Runs `work` holding an exclusive lock file (created with O_EXCL, so one process at a time,
 * across processes), removed afterwards. For state files that several isotyp commands may
 * rewrite at once: the agent's vault, the CLI's session.
 *
 * @example
 * await withFileLock(`${path}.lock`, () => rewrite(path), { waitMs: 5000, staleMs: 30_000, timeout });
 */
export async function withFileLock<T>(lock: string, work: () => T | Promise<T>, options: FileLockOptions): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (ageMs(lock) > options.staleMs) removeQuietly(lock);
      else if (Date.now() > deadline) throw options.timeout();
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  try {
    return await work();
  } finally {
    removeQuietly(lock);
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    // Released meanwhile: not stale, try again.
    return 0;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
