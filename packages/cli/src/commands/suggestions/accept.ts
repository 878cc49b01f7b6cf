import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { StoredSuggestion } from '../../services/control-plane/suggestions.js';

export default class SuggestionsAccept extends IsotypCommand {
  static override summary = 'Accept a suggestion, so that a change can be drafted from it.';
  static override description =
    'Records you as its reviewer. Then, at the site, isotyp suggestions draft ID --target URL turns the proposal (kept where isotyp suggest --report ran) into a plan and submits it as a change request, which is reviewed and approved like any other. Only a new or snoozed suggestion can be decided, and only one that proposes an edit.';
  static override examples = [
    { description: 'Accept one.', command: '<%= config.bin %> <%= command.id %> sug_3q2Xv9Kd0aBcYz1M' },
  ];
  static override args = {
    id: Args.string({ description: 'Suggestion id (see isotyp suggestions list).', required: true }),
  };
  static override flags = { server: serverFlag };

  async run(): Promise<StoredSuggestion> {
    const { args, flags } = await this.parse(SuggestionsAccept);
    const [{ reviewSuggestion }, { connect }] = await Promise.all([
      import('../../services/control-plane/suggestions.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const suggestion = await reviewSuggestion(connect({ server: flags.server }), args.id, { decision: 'accept' });
    this.log(`Accepted ${suggestion.id} (${suggestion.kind}, score ${suggestion.score}) on ${suggestion.targetId}.`);
    this.log(`Draft its change at the site: isotyp suggestions draft ${suggestion.id} --target URL`);
    return suggestion;
  }
}
