import type { RollbackResult } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { actorFlag, targetFlag, yesFlag } from '../flags.js';

export default class Rollback extends IsotypCommand {
  static override summary = 'Undo the latest applied change with its recorded down statements.';
  static override description =
    'Runs the down statements recorded when the latest change was applied, in reverse order, under the target lock and in one transaction, and checks the schema is back to that change’s fromDigest. A change with irreversible steps (dropped tables or columns) is refused unless --force, which undoes the rest and lists what stays lost.';
  static override examples = [
    {
      description: 'Undo the latest change.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db --yes',
    },
  ];
  static override flags = {
    target: targetFlag,
    yes: yesFlag,
    force: Flags.boolean({ summary: 'Undo the reversible steps even when some cannot be undone.' }),
    actor: actorFlag,
  };

  async run(): Promise<RollbackResult> {
    const { flags } = await this.parse(Rollback);
    const { defaultActor, rollback } = await import('../services/local.js');
    await this.requireYes(flags.yes, 'Rolling back');
    const result = await rollback(flags.target, flags.actor ?? defaultActor(), flags.force);
    this.log(`Rolled back change #${result.reverted}: schema is ${result.toVersion} (${result.toDigest}).`);
    for (const s of result.skipped) this.warn(`not undone: ${s.action} ${s.object} — ${s.reason}`);
    return result;
  }
}
