import { IsotypError } from '../errors/isotyp-error.js';

/** The IsotypError code `fn` throws, `foreign: …` for any other error, undefined if it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof IsotypError ? error.code : `foreign: ${String(error)}`;
  }
  return undefined;
}
