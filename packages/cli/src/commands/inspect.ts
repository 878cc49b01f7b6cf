import { IsotypCommand } from '../base-command.js';
import { targetFlag } from '../flags.js';
import type { InspectOutput } from '../services/inspect.js';

export default class Inspect extends IsotypCommand {
  static override summary = 'Read a live database schema and print its schema digest.';
  static override description =
    "Introspects the target into Isotyp's dialect-neutral model (tables, columns, keys, indexes, foreign keys, checks, views, triggers) and digests its canonical JSON. The digest depends on the schema only, never on rows; plans, approvals and audit records are bound to it. Nothing leaves this machine.";
  static override examples = [
    {
      description: 'Inspect a SQLite file.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db',
    },
    {
      description: 'Only the digest, e.g. to compare two databases in a script.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db --json | jq -r .digest',
    },
  ];
  static override flags = {
    target: targetFlag,
  };

  async run(): Promise<InspectOutput> {
    const { flags } = await this.parse(Inspect);
    const [{ inspect }, { renderTable }] = await Promise.all([
      import('../services/inspect.js'),
      import('../ui/table.js'),
    ]);
    const { progressWanted, withProgress } = await import('../ui/progress.js');
    const result = await withProgress(
      'Reading the schema',
      () => inspect(flags.target),
      progressWanted(this.jsonEnabled()),
    );
    if (!this.jsonEnabled()) {
      this.log(`Target   ${result.target}`);
      this.log(`Dialect  ${result.dialect}`);
      this.log(`Digest   ${result.digest}`);
      this.log(
        `Objects  ${Object.entries(result.counts)
          .map(([kind, n]) => `${n} ${kind.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`)
          .join(', ')}\n`,
      );
      this.log(
        renderTable(result.tables, [
          { header: 'TABLE', value: (t) => t.name },
          { header: 'COLUMNS', value: (t) => String(t.columns), align: 'right' },
          { header: 'PRIMARY KEY', value: (t) => t.primaryKey.join(', ') || '-' },
          { header: 'INDEXES', value: (t) => String(t.indexes), align: 'right' },
          { header: 'FOREIGN KEYS', value: (t) => String(t.foreignKeys), align: 'right' },
        ]),
      );
    }
    return result;
  }
}
