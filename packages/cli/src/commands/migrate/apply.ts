import type { ApplyResult } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { actorFlag, targetFlag, yesFlag } from '../../flags.js';

export default class MigrateApply extends IsotypCommand {
  static override summary = 'Apply the pending migrations in order.';
  static override description =
    'Each pending migration is applied like a plan: under the target lock, only if the live digest is its from digest, in one transaction, checked against its to digest, and recorded in the target history.';
  static override examples = [
    {
      description: 'Bring a database up to date.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./app.db --yes',
    },
  ];
  static override flags = {
    target: targetFlag,
    dir: Flags.string({ summary: 'Migrations directory.', default: 'migrations' }),
    yes: yesFlag,
    actor: actorFlag,
  };

  async run(): Promise<ApplyResult[]> {
    const { flags } = await this.parse(MigrateApply);
    const { defaultActor, migrationsApply } = await import('../../services/local.js');
    await this.requireYes(flags.yes, 'Applying migrations');
    const results = await migrationsApply(flags.target, flags.dir, flags.actor ?? defaultActor());
    this.log(
      results.length === 0
        ? 'Up to date.'
        : `Applied ${results.length} migration(s); schema is ${results.at(-1)?.toVersion}.`,
    );
    return results;
  }
}
