import { type ErrorCode, errorCodes, IsotypError, isErrorCode } from '@isotyp/protocol';
import { closestMatches, rankByDistance } from './suggest.js';

/** One row of the error catalogue, as `isotyp errors list --json` prints it. */
export interface CatalogueEntry {
  readonly code: ErrorCode;
  readonly http: number;
  readonly exit: number;
  readonly retryable: boolean;
  readonly meaning: string;
}

const PREFIX = 'ISOTYP_';

/**
 * Every catalogued error code, in catalogue order.
 *
 * @example
 * listErrorCodes().find((e) => e.code === 'ISOTYP_USAGE')?.exit; // 64
 */
export function listErrorCodes(): CatalogueEntry[] {
  return (Object.keys(errorCodes) as ErrorCode[]).map(entryFor);
}

/**
 * Accepts what people type for a code: any case, `-` for `_`, with or without the prefix.
 *
 * @example
 * normalizeCodeInput('not-found'); // 'ISOTYP_NOT_FOUND'
 */
export function normalizeCodeInput(input: string): string {
  const upper = input.trim().toUpperCase().replaceAll('-', '_');
  return upper.startsWith(PREFIX) ? upper : `${PREFIX}${upper}`;
}

/**
 * One code's catalogue entry. Throws ISOTYP_NOT_FOUND, naming the closest codes, when the
 * input is not a catalogued code.
 *
 * @example
 * explainErrorCode('usage').exit; // 64
 */
export function explainErrorCode(input: string): CatalogueEntry {
  const code = normalizeCodeInput(input);
  if (isErrorCode(code)) return entryFor(code);

  const known = Object.keys(errorCodes);
  // Compare without the shared prefix, or every code would look equally close.
  const bare = known.map((c) => c.slice(PREFIX.length));
  const typed = code.slice(PREFIX.length);
  const near = closestMatches(typed, bare).map((c) => `${PREFIX}${c}`);
  const nearest = near[0] ?? `${PREFIX}${rankByDistance(typed, bare)[0]?.candidate ?? 'INTERNAL'}`;
  const listHint = 'Run `isotyp errors list` to see every code.';
  const hint =
    near.length > 0
      ? `Did you mean ${joinOr(near)}? ${listHint}`
      : `The closest catalogued code is ${nearest}. ${listHint}`;
  throw new IsotypError('ISOTYP_NOT_FOUND', `There is no error code named ${input.trim() || '""'}.`, {
    hint,
    details: { code: input, suggestions: near.length > 0 ? near : [nearest] },
  });
}

function entryFor(code: ErrorCode): CatalogueEntry {
  const spec = errorCodes[code];
  return { code, http: spec.http, exit: spec.exit, retryable: spec.retryable, meaning: spec.meaning };
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
