import { fromBase64 } from '../encoding.js';
import { IsotypError } from '../errors/isotyp-error.js';
import type { Checkpoint } from '../messages/checkpoint.js';
import { checkpointSchema } from '../messages/checkpoint.js';
import { type NoteKey, openNote, signNote } from './signed-note.js';

/*
 * tlog checkpoints (c2sp.org/tlog-checkpoint): the note text is the origin line, the tree size
 * in decimal and the base64 root hash, each followed by a newline (extension lines may follow,
 * and are kept but not interpreted).
 */

/** The checkpoint's note text. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const parsed = checkpointSchema.parse(checkpoint);
  return `${parsed.origin}\n${parsed.size}\n${parsed.root}\n`;
}

/** Parses a checkpoint text (not its signatures; see openCheckpoint). */
export function parseCheckpoint(text: string): Checkpoint & { extensions: string[] } {
  const lines = text.split('\n');
  const [origin, size, root, ...rest] = lines;
  if (lines.at(-1) !== '' || origin === undefined || size === undefined || root === undefined) {
    throw invalid('a checkpoint is an origin, a size and a root hash, one per line');
  }
  if (!/^(0|[1-9]\d{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw invalid('the size must be a decimal integer without leading zeros');
  }
  try {
    fromBase64(root, 32);
  } catch {
    throw invalid('the root must be 32 bytes of standard base64');
  }
  const parsed = checkpointSchema.safeParse({ origin, size: Number(size), root });
  if (!parsed.success) throw invalid('the origin line is empty or too long');
  return { ...parsed.data, extensions: rest.slice(0, -1) };
}

/** Signs a checkpoint as a note with an Ed25519 key named after the log (usually its origin). */
export function signCheckpoint(checkpoint: Checkpoint, key: { name: string; secretKey: Uint8Array }): string {
  return signNote(formatCheckpoint(checkpoint), key);
}

/**
 * Verifies a signed checkpoint against the log's trusted keys and checks its origin is the
 * expected one, so a checkpoint of another log can never be passed off as this log's.
 */
export function openCheckpoint(note: string, trusted: readonly NoteKey[], expectedOrigin: string): Checkpoint {
  const { text } = openNote(note, trusted);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== expectedOrigin) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `The checkpoint is for ${checkpoint.origin}, not ${expectedOrigin}.`,
      {
        details: { origin: checkpoint.origin, expected: expectedOrigin },
      },
    );
  }
  return { origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root };
}

function invalid(why: string): IsotypError {
  return new IsotypError('ISOTYP_INVALID_INPUT', `Invalid checkpoint: ${why}.`, {
    hint: 'Checkpoints follow c2sp.org/tlog-checkpoint.',
  });
}
