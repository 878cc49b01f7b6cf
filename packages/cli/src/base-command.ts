import { Command, type Interfaces, toConfiguredId } from '@oclif/core';
import { globalFlags } from './flags.js';
import { argvHasFlag } from './ui/argv.js';

/**
 * Base of every `isotyp` command: `--json` (the value `run()` returns is printed as JSON),
 * `--verbose`, and one error path. Anything a command throws — an IsotypError from a service,
 * an oclif parse error, a bug — goes through `ui/render-error.ts` and exits with the code the
 * catalogue gives it.
 *
 * @example
 * export default class ErrorsList extends IsotypCommand {
 *   async run() {
 *     await this.parse(ErrorsList);
 *     const { listErrorCodes } = await import('../../services/error-catalogue.js');
 *     return listErrorCodes();
 *   }
 * }
 */
export abstract class IsotypCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = globalFlags;

  /** Set when `parse()` threw, so the renderer reports a usage error rather than a bug. */
  private parseFailed = false;

  /**
   * True when --verbose was given. Read from argv, not from parsed flags, so it also works
   * when parsing is what failed.
   */
  protected verboseEnabled(): boolean {
    return argvHasFlag(this.argv, '--verbose');
  }

  /** Refuses a command that changes a database unless --yes was given. */
  protected async requireYes(yes: boolean, what: string): Promise<void> {
    if (yes) return;
    const { IsotypError } = await import('@isotyp/protocol');
    throw new IsotypError('ISOTYP_USAGE', `${what} changes the database.`, {
      hint: 'Review it, then re-run with --yes.',
    });
  }

  protected override async parse<F extends Output, B extends Output, A extends Output>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (error) {
      this.parseFailed = true;
      throw error;
    }
  }

  protected override async catch(error: Interfaces.CommandError): Promise<never> {
    // `this.exit()` inside a command is a deliberate exit, not an error to report.
    if (isExitError(error)) throw error;
    // Loaded only on failure, so a successful run never pays for the renderer and protocol.
    const { renderError } = await import('./ui/render-error.js');
    const exitCode = renderError(error, {
      bin: this.config.bin,
      command: this.id ? toConfiguredId(this.id, this.config) : undefined,
      duringParse: this.parseFailed,
      json: this.jsonEnabled(),
      verbose: this.verboseEnabled(),
    });
    // Throws oclif's ExitError: oclif then exits with this code and prints nothing more.
    return this.exit(exitCode);
  }
}

/** oclif's FlagOutput / ArgOutput, which `Interfaces` does not export. */
type Output = Record<string, unknown>;

function isExitError(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'EEXIT';
}
