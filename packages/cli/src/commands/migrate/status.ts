import type { MigrationStatus } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { targetFlag } from '../../flags.js';

export default class MigrateStatus extends IsotypCommand {
  static override summary = 'Show which migrations a database has and which are pending.';
  static override description =
    'Checks the migrations directory against isotyp.sum (edited, removed, reordered or unsummed files are refused) and places the target in the chain by its live schema digest.';
  static override examples = [
    {
      description: 'Status of a SQLite database.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./app.db',
    },
  ];
  static override flags = {
    target: targetFlag,
    dir: Flags.string({ summary: 'Migrations directory.', default: 'migrations' }),
  };

  async run(): Promise<MigrationStatus> {
    const { flags } = await this.parse(MigrateStatus);
    const { migrationsStatus } = await import('../../services/local.js');
    const status = await migrationsStatus(flags.target, flags.dir);
    for (const m of status.migrations) this.log(`${m.state.padEnd(8)} ${m.file}`);
    if (status.position === null)
      this.log(`The live schema (${status.live}) matches no state of the migrations: drift.`);
    else if (status.migrations.length === 0) this.log('No migrations yet.');
    return status;
  }
}
