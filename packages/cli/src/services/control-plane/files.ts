import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Creates `dir` (and parents) readable by the owner only; tightens it if it already exists. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Writes `text` to `path` with mode 0600 so that a reader sees the old file or the new one,
 * never half of one: a temporary file beside it is written, flushed and then renamed over
 * `path` — or, with `overwrite: false`, hard-linked to it, which fails with EEXIST when `path`
 * already exists (atomic "create if absent", no check-then-write race).
 */
export function writePrivateFile(path: string, text: string, options: { overwrite: boolean }): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // The mode given to open is filtered by the umask; set it exactly.
    chmodSync(tmp, 0o600);
    if (options.overwrite) renameSync(tmp, path);
    else linkSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
