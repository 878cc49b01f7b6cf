import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import { targetFlag } from '../../flags.js';
import type { Change } from '../../services/control-plane/changes.js';

export default class SuggestionsDraft extends IsotypCommand {
  static override summary = 'Draft the change an accepted suggestion proposes, and submit it for review.';
  static override description =
    'At the site: takes the proposal kept by isotyp suggest --report (or, for a rule-based suggestion, finds it again in the database), checks that it is exactly the accepted one by its digest, plans it against the live database like isotyp plan, writes the plan file, and submits it as a change request signed with your approver key. The change then follows the normal lifecycle: review, approval, apply.';
  static override examples = [
    {
      description: 'Draft and submit an accepted suggestion.',
      command: '<%= config.bin %> <%= command.id %> sug_3q2Xv9Kd0aBcYz1M --target sqlite:./app.db --schema schema.sql',
    },
  ];
  static override args = {
    id: Args.string({ description: 'Suggestion id (see isotyp suggestions list --state accepted).', required: true }),
  };
  static override flags = {
    server: serverFlag,
    target: targetFlag,
    schema: Flags.string({
      char: 's',
      summary: 'The desired-state schema (file or directory) the suggestion is added to.',
      required: true,
    }),
    out: Flags.string({ summary: 'Where to write the plan file (default: suggestion-<id>.plan.json).' }),
    title: Flags.string({ summary: 'Title of the change request (default: from the suggestion).' }),
  };

  async run(): Promise<{ change: Change; planPath: string; schemaFile: string }> {
    const { args, flags } = await this.parse(SuggestionsDraft);
    const [{ draftSuggestion }, { connect, secretStore }] = await Promise.all([
      import('../../services/control-plane/advisor.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const { change, planPath, schemaFile } = await draftSuggestion(connect({ server: flags.server }), secretStore(), {
      id: args.id,
      targetUrl: flags.target,
      schema: flags.schema,
      out: flags.out ?? `suggestion-${args.id}.plan.json`,
      title: flags.title,
    });
    this.log(`Submitted change ${change.id} (${change.state}): ${change.title}`);
    this.log(`Desired state: ${schemaFile} now holds the suggestion; commit it. Plan: ${planPath}.`);
    this.log(`Once approved: isotyp apply --change ${change.id} --schema ${flags.schema} …`);
    return { change, planPath, schemaFile };
  }
}
