import { type ErrorCode, type ErrorSpec, errorCodes, isErrorCode } from './codes.js';

export interface IsotypErrorOptions {
  /** What the user can do next, as one sentence. */
  hint?: string;
  /** Structured, non-secret context (field paths, limits). Sent to clients as-is. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type every package throws at its boundary. It carries a stable code from the
 * catalogue, a sentence for humans and an optional hint.
 *
 * @example
 * throw new IsotypError('ISOTYP_FILE_NOT_FOUND', 'schema.sql does not exist.', {
 *   hint: 'Pass --schema with the path of your desired-state file.',
 * });
 */
export class IsotypError extends Error {
  override readonly name = 'IsotypError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: IsotypErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get spec(): ErrorSpec {
    return errorCodes[this.code];
  }

  get httpStatus(): number {
    return this.spec.http;
  }

  get exitCode(): number {
    return this.spec.exit;
  }

  get retryable(): boolean {
    return this.spec.retryable;
  }

  /** The wire form: what the control plane answers and `--json` prints. No stack, no cause. */
  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint === undefined ? {} : { hint: this.hint }),
        retryable: this.retryable,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    hint?: string;
    retryable: boolean;
    details?: Record<string, unknown>;
  };
}

/** True for an IsotypError, including one from another copy of this package. */
export function isIsotypError(value: unknown): value is IsotypError {
  return (
    value instanceof IsotypError ||
    (value instanceof Error && value.name === 'IsotypError' && isErrorCode((value as IsotypError).code))
  );
}

/**
 * Wraps a foreign error at a boundary: IsotypErrors pass through, anything else becomes
 * ISOTYP_INTERNAL with the original kept as `cause` (never shown without --verbose).
 */
export function toIsotypError(error: unknown): IsotypError {
  if (isIsotypError(error)) return error;
  return new IsotypError('ISOTYP_INTERNAL', 'An unexpected error occurred.', {
    hint: 'Re-run with --verbose for details and report it if it persists.',
    cause: error,
  });
}
