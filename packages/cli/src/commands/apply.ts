import type { ApplyResult } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { actorFlag, targetFlag, yesFlag } from '../flags.js';

export default class Apply extends IsotypCommand {
  static override summary = 'Apply a saved plan to the database it was made for.';
  static override description =
    'Takes the target lock, refuses unless the live schema digest is the plan’s fromDigest (a plan for another database, or an edited plan file, is refused before any statement runs), applies every statement in one transaction, checks the result is exactly the plan’s toDigest and records the change in the target’s history (isotyp_history on SQLite, isotyp.history on PostgreSQL).';
  static override examples = [
    {
      description: 'Apply a reviewed plan.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db --plan plan.json --yes',
    },
  ];
  static override flags = {
    target: targetFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan file written by isotyp plan --out.', required: true }),
    yes: yesFlag,
    actor: actorFlag,
  };

  async run(): Promise<ApplyResult> {
    const { flags } = await this.parse(Apply);
    const { applyPlanFile, defaultActor, readPlanFile } = await import('../services/local.js');
    // Read (and verify) the plan first, so a bad file is reported before the confirmation.
    const plan = readPlanFile(flags.plan);
    await this.requireYes(flags.yes, `Applying ${plan.ops.length} operations`);
    const result = await applyPlanFile(flags.target, flags.plan, flags.actor ?? defaultActor());
    this.log(
      `Applied ${result.planDigest}: ${result.statements} statements in ${result.durationMs} ms; ` +
        `schema ${result.fromVersion} → ${result.toVersion} (${result.toDigest}).`,
    );
    return result;
  }
}
