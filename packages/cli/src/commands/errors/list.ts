import { IsotypCommand } from '../../base-command.js';
import type { CatalogueEntry } from '../../services/error-catalogue.js';

export default class ErrorsList extends IsotypCommand {
  static override summary = 'List every error code Isotyp can report.';
  static override description =
    'Each code has a fixed HTTP status (control plane) and exit code (CLI), says whether retrying may help, and is never renamed. Scripts should branch on the code or the exit code, never on the message.';
  static override examples = [
    { description: 'Show the catalogue as a table.', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Machine-readable, e.g. to find the codes worth retrying.',
      command: "<%= config.bin %> <%= command.id %> --json | jq -r '.[] | select(.retryable) | .code'",
    },
  ];

  async run(): Promise<CatalogueEntry[]> {
    await this.parse(ErrorsList);
    const [{ listErrorCodes }, { renderTable }] = await Promise.all([
      import('../../services/error-catalogue.js'),
      import('../../ui/table.js'),
    ]);
    const entries = listErrorCodes();
    this.log(
      renderTable(entries, [
        { header: 'CODE', value: (e) => e.code },
        { header: 'HTTP', value: (e) => String(e.http), align: 'right' },
        { header: 'EXIT', value: (e) => String(e.exit), align: 'right' },
        { header: 'RETRY', value: (e) => (e.retryable ? 'yes' : 'no') },
        { header: 'MEANING', value: (e) => e.meaning },
      ]),
    );
    return entries;
  }
}
