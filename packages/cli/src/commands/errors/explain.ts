import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import type { CatalogueEntry } from '../../services/error-catalogue.js';

export default class ErrorsExplain extends IsotypCommand {
  static override summary = 'Explain one error code: what it means, its exit code and HTTP status.';
  static override description =
    'CODE may be given in any case, with or without the ISOTYP_ prefix and with - for _ (not-found, ISOTYP_NOT_FOUND). An unknown code fails with ISOTYP_NOT_FOUND and names the closest codes.';
  static override args = {
    code: Args.string({ description: 'The error code, e.g. ISOTYP_USAGE.', required: true }),
  };
  static override examples = [
    { description: 'Why did my script exit with 64?', command: '<%= config.bin %> <%= command.id %> ISOTYP_USAGE' },
    { description: 'The prefix is optional.', command: '<%= config.bin %> <%= command.id %> not-found --json' },
  ];

  async run(): Promise<CatalogueEntry> {
    const { args } = await this.parse(ErrorsExplain);
    const { explainErrorCode } = await import('../../services/error-catalogue.js');
    const entry = explainErrorCode(args.code);
    this.log(
      [
        entry.code,
        `  ${entry.meaning}`,
        '',
        `  exit code  ${entry.exit}`,
        `  HTTP       ${entry.http}`,
        `  retryable  ${entry.retryable ? 'yes' : 'no'}`,
      ].join('\n'),
    );
    return entry;
  }
}
