import { errorCodes } from '@isotyp/protocol';
import { IsotypCommand } from '../base-command.js';
import { targetFlag } from '../flags.js';

export default class Drift extends IsotypCommand {
  static override summary = 'Check whether the live schema still matches what Isotyp last applied.';
  static override description =
    `Compares the live schema digest with the one recorded by the last apply or rollback, and lists the objects that differ. Exit codes: 0 no drift (or no change recorded yet), ${errorCodes.ISOTYP_DRIFT_DETECTED.exit} drift found.`;
  static override examples = [
    { description: 'Check a target.', command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db' },
    {
      description: 'In a cron job or CI.',
      command: '<%= config.bin %> <%= command.id %> -t sqlite:./chinook.db --json || alert',
    },
  ];
  static override flags = { target: targetFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Drift);
    const { drift } = await import('../services/local.js');
    const report = await drift(flags.target);
    if (this.jsonEnabled()) {
      this.logJson(report);
    } else if (report.expected === null) {
      this.log(`No change recorded yet on this target; live schema ${report.live}.`);
    } else if (!report.drifted) {
      this.log(`No drift: the live schema is ${report.live}, as last applied.`);
    } else {
      this.log(`Drift: the live schema is ${report.live}, Isotyp last left it at ${report.expected}.`);
      for (const object of report.objects) this.log(`  ${object}`);
    }
    // Drift is an outcome scripts branch on, not a failure of the command: report, then exit 2.
    if (report.drifted) this.exit(errorCodes.ISOTYP_DRIFT_DETECTED.exit);
  }
}
