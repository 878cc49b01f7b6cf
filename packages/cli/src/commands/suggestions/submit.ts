import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Change } from '../../services/control-plane/changes.js';

export default class SuggestionsSubmit extends IsotypCommand {
  static override summary = 'Sign and submit the plan an agent drafted from an accepted suggestion.';
  static override description =
    "Once a suggestion is accepted, the target's agent (isotyp agent start) adds its statements to the target's desired-state schema, plans it and attaches the plan's digests, manifest and lint findings — filtered by the environment's privacy mode — to the suggestion. This signs those digests with your approver key and submits them as a change request; you need not be at the site. The change is then reviewed, approved and applied like any other: the agent re-plans from its schema and applies only this very plan.";
  static override examples = [
    { description: 'Submit the drafted change.', command: '<%= config.bin %> <%= command.id %> sug_3q2Xv9Kd0aBcYz1M' },
  ];
  static override args = {
    id: Args.string({ description: 'Suggestion id (see isotyp suggestions list --state accepted).', required: true }),
  };
  static override flags = {
    server: serverFlag,
    title: Flags.string({ summary: 'Title of the change request (default: the one the agent gave).' }),
  };

  async run(): Promise<Change> {
    const { args, flags } = await this.parse(SuggestionsSubmit);
    const [{ submitAgentDraft }, { connect, secretStore }] = await Promise.all([
      import('../../services/control-plane/advisor.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const { change } = await submitAgentDraft(connect({ server: flags.server }), secretStore(), args.id, flags.title);
    this.log(`Submitted change ${change.id} (${change.state}): ${change.title}`);
    this.log(`Review it with isotyp changes show ${change.id}.`);
    return change;
  }
}
