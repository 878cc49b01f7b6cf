import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { StoredSuggestion } from '../../services/control-plane/suggestions.js';

export default class SuggestionsReject extends IsotypCommand {
  static override summary = 'Reject a suggestion, with a reason.';
  static override description =
    'Records you as its reviewer and why. A rejected suggestion stays rejected when the advisor finds the same proposal again.';
  static override examples = [
    {
      description: 'Reject with a reason.',
      command: '<%= config.bin %> <%= command.id %> sug_3q2Xv9Kd0aBcYz1M --reason "The table is rebuilt nightly."',
    },
  ];
  static override args = {
    id: Args.string({ description: 'Suggestion id (see isotyp suggestions list).', required: true }),
  };
  static override flags = {
    server: serverFlag,
    reason: Flags.string({ summary: 'Why (at most 2000 characters).', required: true }),
  };

  async run(): Promise<StoredSuggestion> {
    const { args, flags } = await this.parse(SuggestionsReject);
    const [{ reviewSuggestion }, { connect }] = await Promise.all([
      import('../../services/control-plane/suggestions.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const suggestion = await reviewSuggestion(connect({ server: flags.server }), args.id, {
      decision: 'reject',
      reason: flags.reason,
    });
    this.log(`Rejected ${suggestion.id} (${suggestion.kind} on ${suggestion.targetId}).`);
    return suggestion;
  }
}
