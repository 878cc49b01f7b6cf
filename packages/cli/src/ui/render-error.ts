import { inspect } from 'node:util';
import type { IsotypError } from '@isotyp/protocol';
import { type ErrorContext, normalizeError } from './normalize-error.js';

/** Where rendered errors go; the process streams unless a test passes its own. */
export interface ErrorOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface RenderOptions extends ErrorContext {
  /** Print the wire body (`IsotypError#toJSON()`) on stdout instead of text on stderr. */
  readonly json: boolean;
  /** Also print the stack and the chain of causes (on stderr). */
  readonly verbose: boolean;
  readonly output?: ErrorOutput;
}

const processOutput: ErrorOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Causes are followed this deep; a cycle or a very long chain stops here. */
const MAX_CAUSES = 8;

/**
 * The one place a CLI error is shown to a person or a script. Converts anything thrown to an
 * IsotypError, writes it and returns the exit code from the catalogue.
 *
 * Text mode (stderr): `Error [ISOTYP_X]: sentence` and `Hint: …`.
 * JSON mode (stdout): `{"error": {"code": …, "message": …, "hint": …, "retryable": …}}`.
 * The stack and causes are written to stderr only with `verbose`, in either mode.
 *
 * @example
 * const exit = renderError(err, { bin: 'isotyp', command: 'errors explain', json: false, verbose: false });
 */
export function renderError(error: unknown, options: RenderOptions): number {
  const out = options.output ?? processOutput;
  const isotypError = normalizeError(error, options);
  if (options.json) {
    out.stdout(`${JSON.stringify(isotypError.toJSON(), null, 2)}\n`);
  } else {
    out.stderr(formatError(isotypError));
  }
  if (options.verbose) out.stderr(formatTrace(isotypError));
  return isotypError.exitCode;
}

/** `Error [CODE]: message` and, when there is one, `Hint: …`; newline-terminated. */
export function formatError(error: IsotypError): string {
  const lines = [`Error [${error.code}]: ${error.message}`];
  if (error.hint) lines.push(`Hint: ${error.hint}`);
  return `${lines.join('\n')}\n`;
}

/** The stack of the error, then of each cause in turn. */
export function formatTrace(error: IsotypError): string {
  const parts = [stackOf(error)];
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  while (cause !== undefined && !seen.has(cause) && seen.size <= MAX_CAUSES) {
    seen.add(cause);
    parts.push(`Caused by: ${stackOf(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return `\n${parts.join('\n')}\n`;
}

function stackOf(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  return inspect(value, { depth: 4 });
}
