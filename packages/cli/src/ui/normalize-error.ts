import { stripVTControlCharacters } from 'node:util';
import { IsotypError, isIsotypError, toIsotypError } from '@isotyp/protocol';

/** What the renderer knows about where an error happened. */
export interface ErrorContext {
  /** Name of the binary, for hints (`isotyp`). */
  readonly bin: string;
  /** Space-separated id of the command that failed (`errors explain`), when there was one. */
  readonly command?: string | undefined;
  /** True when the error came out of argv parsing: anything foreign is then a usage error. */
  readonly duringParse?: boolean | undefined;
}

/** `See: isotyp errors explain --help`, or the root help when no command was found. */
export function usageHint(context: ErrorContext): string {
  return context.command ? `See: ${context.bin} ${context.command} --help` : `See: ${context.bin} --help`;
}

/**
 * Turns anything thrown into an IsotypError. oclif's parse errors (unknown flag, missing
 * argument, bad option value…) become ISOTYP_USAGE with a one-line message; IsotypErrors pass
 * through; everything else is ISOTYP_INTERNAL with the original as `cause`.
 */
export function normalizeError(error: unknown, context: ErrorContext): IsotypError {
  if (isIsotypError(error)) return unwrapFlagParse(error, context);
  if (error instanceof Error && (isOclifParseError(error) || context.duringParse)) {
    const { message, details } = describeUsageProblem(error);
    return new IsotypError('ISOTYP_USAGE', message, {
      hint: usageHint(context),
      ...(details === undefined ? {} : { details }),
      cause: error,
    });
  }
  return toIsotypError(error);
}

/** oclif's CLIParseError family, recognised by shape: the classes are not exported. */
function isOclifParseError(error: Error): boolean {
  return 'parse' in error && 'showHelp' in error && 'oclif' in error;
}

interface Described {
  message: string;
  details?: Record<string, unknown>;
}

function describeUsageProblem(error: Error): Described {
  const fields = error as Error & { flags?: unknown; args?: unknown };
  const plural = (n: number) => (n === 1 ? '' : 's');
  switch (error.constructor.name) {
    case 'NonExistentFlagsError':
      if (isStringArray(fields.flags)) {
        return {
          message: `Unknown flag${plural(fields.flags.length)} ${fields.flags.join(', ')}.`,
          details: { flags: fields.flags },
        };
      }
      break;
    case 'RequiredArgsError':
      if (Array.isArray(fields.args)) {
        const names = fields.args.map((a: { name?: unknown }) => String(a?.name ?? '').toUpperCase()).filter(Boolean);
        return {
          message: `Missing required argument${plural(names.length)} ${names.join(', ')}.`,
          details: { arguments: names },
        };
      }
      break;
    case 'UnexpectedArgsError':
      if (Array.isArray(fields.args)) {
        const values = fields.args.map(String);
        return {
          message: `Unexpected argument${plural(values.length)}: ${values.join(', ')}.`,
          details: { arguments: values },
        };
      }
      break;
  }
  return { message: sentence(cleanOclifMessage(error.message)) };
}

const FLAG_PARSE = /^Parsing --(\S+) \n\t([\s\S]*?)(?:\nSee more help with --help)?$/;

/** oclif rewrites the message of an error thrown by a flag's parse function; undo that. */
function unwrapFlagParse(error: IsotypError, context: ErrorContext): IsotypError {
  const match = FLAG_PARSE.exec(error.message);
  if (!match) return error;
  return new IsotypError(error.code, `Invalid value for --${match[1]}: ${match[2]}`, {
    hint: error.hint ?? usageHint(context),
    ...(error.details === undefined ? {} : { details: error.details }),
    cause: error.cause ?? error,
  });
}

/**
 * oclif messages are multi-line, coloured and end in "See more help with --help"; we want
 * one sentence (the hint carries the pointer to --help).
 */
function cleanOclifMessage(raw: string): string {
  const text = stripVTControlCharacters(raw).replaceAll('See more help with --help', '');
  const flagParse = /^Parsing --(\S+)\s*\n\t([\s\S]*)$/.exec(text.trim());
  if (flagParse) return `Invalid value for --${flagParse[1]}: ${oneLine(flagParse[2] ?? '')}`;
  const validation = /^The following errors? occurred:\s*\n([\s\S]*)$/.exec(text.trim());
  if (validation) return oneLine(validation[1] ?? '', '; ');
  return oneLine(text, ' ');
}

function oneLine(text: string, separator = ' '): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(separator);
}

function sentence(text: string): string {
  const trimmed = text.trim() || 'The command line could not be parsed';
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
