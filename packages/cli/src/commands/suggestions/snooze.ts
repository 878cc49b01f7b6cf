import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { StoredSuggestion } from '../../services/control-plane/suggestions.js';

export default class SuggestionsSnooze extends IsotypCommand {
  static override summary = 'Snooze a suggestion for some days.';
  static override description =
    'It leaves the new ones until the snooze ends, then counts as new again. Snoozing a snoozed suggestion starts a new snooze.';
  static override examples = [
    {
      description: 'Ask again in two weeks.',
      command: '<%= config.bin %> <%= command.id %> sug_3q2Xv9Kd0aBcYz1M --days 14',
    },
  ];
  static override args = {
    id: Args.string({ description: 'Suggestion id (see isotyp suggestions list).', required: true }),
  };
  static override flags = {
    server: serverFlag,
    days: Flags.integer({ summary: 'How many days (1 to 90).', min: 1, max: 90, default: 7 }),
    reason: Flags.string({ summary: 'Why, if you like (at most 2000 characters).' }),
  };

  async run(): Promise<StoredSuggestion> {
    const { args, flags } = await this.parse(SuggestionsSnooze);
    const [{ reviewSuggestion }, { connect }] = await Promise.all([
      import('../../services/control-plane/suggestions.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const suggestion = await reviewSuggestion(connect({ server: flags.server }), args.id, {
      decision: 'snooze',
      days: flags.days,
      reason: flags.reason,
    });
    this.log(`Snoozed ${suggestion.id} until ${suggestion.snoozedUntil}.`);
    return suggestion;
  }
}
