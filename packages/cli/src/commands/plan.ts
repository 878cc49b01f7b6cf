import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { configFlag, targetFlag } from '../flags.js';
import type { PlanOutput } from '../services/local.js';

export default class Plan extends IsotypCommand {
  static override summary = 'Plan the changes that take a database to the schema in a .sql file.';
  static override description =
    'Introspects the target, loads --schema into a scratch database of the same dialect (SQLite: in memory; PostgreSQL: a scratch database created on the target server and dropped, or --dev-url), diffs the two and prints ordered operations with their risk, lock impact and undo statements. Nothing is changed. A drop and an add that look like a rename are flagged; confirm a rename with --rename or a `-- isotyp:rename …` comment to keep the data.';
  static override examples = [
    {
      description: 'Plan and save the plan for review and apply.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db --schema schema.sql --out plan.json',
    },
    {
      description: 'Keep the data of a renamed column.',
      command:
        '<%= config.bin %> <%= command.id %> -t sqlite:./chinook.db --schema schema.sql --rename column:Album.Title=Name',
    },
  ];
  static override flags = {
    target: targetFlag,
    schema: Flags.string({
      char: 's',
      summary: 'Desired state: a .sql file or a directory of .sql files.',
      required: true,
    }),
    out: Flags.string({
      char: 'o',
      summary: 'Write the plan, its semver bump and lint findings to this file (for isotyp apply and isotyp submit).',
    }),
    rename: Flags.string({
      summary: 'Treat a drop + add as a rename: table:OLD=NEW or column:TABLE.OLD=NEW.',
      multiple: true,
      default: [],
    }),
    'concurrent-indexes': Flags.boolean({ summary: 'PostgreSQL: build new indexes concurrently.' }),
    config: configFlag,
    'dev-url': Flags.string({
      summary: 'PostgreSQL: an empty database to load --schema into, instead of a scratch database.',
    }),
  };

  async run(): Promise<PlanOutput> {
    const { flags } = await this.parse(Plan);
    const [{ makePlan, planOutput }, { formatPlan }, { styleFor }] = await Promise.all([
      import('../services/local.js'),
      import('../ui/plan-view.js'),
      import('../ui/style.js'),
    ]);
    const { progressWanted, withProgress } = await import('../ui/progress.js');
    const result = await withProgress(
      'Reading the database and the desired schema, diffing, planning, linting',
      () =>
        makePlan(flags.target, flags.schema, {
          renames: flags.rename,
          concurrentIndexes: flags['concurrent-indexes'],
          out: flags.out,
          config: flags.config,
          devUrl: flags['dev-url'],
        }),
      progressWanted(this.jsonEnabled()),
    );
    if (!this.jsonEnabled()) {
      this.log(formatPlan(result, styleFor()));
      if (flags.out !== undefined)
        this.log(
          `\nWrote ${flags.out}. Apply it with isotyp apply --target … --plan ${flags.out} --yes, or submit it for review with isotyp submit --plan ${flags.out} --env ENV.`,
        );
    }
    return planOutput(result);
  }
}
