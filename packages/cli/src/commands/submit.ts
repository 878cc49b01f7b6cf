import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { projectFlag, requiredEnvFlag, serverFlag } from '../control-plane-flags.js';
import type { Change } from '../services/control-plane/changes.js';

export default class Submit extends IsotypCommand {
  static override summary = 'Submit a plan for review as a change request.';
  static override description =
    "Reads a plan file (isotyp plan --out plan.json, which holds the plan with its semver bump and lint findings; the output of isotyp plan --json also works), filters its manifest by the environment's privacy mode — object names only in structure and full, DDL only in full — and signs the digests with your approver key. --env and --target take ids or names; --target may be left out when the environment has one target.";
  static override examples = [
    {
      description: 'Plan, then submit to the only target of prod.',
      command:
        '<%= config.bin %> plan -t sqlite:./app.db --schema schema.sql --out plan.json && <%= config.bin %> <%= command.id %> --plan plan.json --env prod',
    },
    {
      description: 'Submit a draft with a title.',
      command:
        '<%= config.bin %> <%= command.id %> --plan plan.json --project shop --env prod --target orders-db --title "Add invoices" --draft',
    },
  ];
  static override flags = {
    server: serverFlag,
    plan: Flags.string({ summary: 'Plan file (isotyp plan --out plan.json).', required: true }),
    project: projectFlag,
    env: requiredEnvFlag,
    target: Flags.string({ char: 't', summary: "Target id or name (default: the environment's only target)." }),
    title: Flags.string({ summary: 'A one-line title (at most 200 characters).' }),
    draft: Flags.boolean({ summary: 'Submit as a draft, not yet open for review.' }),
  };

  async run(): Promise<Change> {
    const { flags } = await this.parse(Submit);
    const [{ submitChange }, { connect, secretStore }] = await Promise.all([
      import('../services/control-plane/changes.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const { change, lintIncluded } = await submitChange(connect({ server: flags.server }), secretStore(), {
      planPath: flags.plan,
      env: flags.env,
      project: flags.project,
      target: flags.target,
      title: flags.title,
      draft: flags.draft,
    });
    if (!lintIncluded) {
      this.logToStderr(
        'Warning: the plan file holds no lint findings (an older isotyp wrote it); plan again with isotyp plan --out plan.json to include them.',
      );
    }
    this.log(`Submitted change ${change.id} (${change.state}): ${change.title}`);
    this.log(
      `  ${change.fromVersion} → ${change.toVersion} (${change.bump}), ${change.manifest.opCount} operation(s), risk ${change.manifest.risk}, privacy ${change.manifest.mode}`,
    );
    this.log(`Follow it with: isotyp changes show ${change.id}`);
    return change;
  }
}
