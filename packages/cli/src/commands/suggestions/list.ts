import type { SuggestionState } from '@isotyp/protocol';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { StoredSuggestion } from '../../services/control-plane/suggestions.js';

// Spelled out rather than imported: commands load when help is built, and the protocol package is
// loaded only once a command runs.
const states = ['new', 'accepted', 'rejected', 'snoozed'] as const satisfies readonly SuggestionState[];

export default class SuggestionsList extends IsotypCommand {
  static override summary = 'List schema-advisor suggestions, highest score first.';
  static override description =
    'What the agents’ advisors found on the targets you can read: the kind, the score, the objects (unless the environment’s privacy mode is digest) and where the review stands. A snooze that has ended shows as new. --json prints {suggestions}.';
  static override examples = [
    {
      description: 'What waits for a decision on one target.',
      command: '<%= config.bin %> <%= command.id %> --target orders-db --state new',
    },
    {
      description: 'Everything accepted, as JSON.',
      command: '<%= config.bin %> <%= command.id %> --state accepted --json',
    },
  ];
  static override flags = {
    server: serverFlag,
    target: Flags.string({ char: 't', summary: 'Target id or name.' }),
    state: Flags.string({
      summary: 'Only suggestions in this state (repeatable).',
      options: [...states],
      multiple: true,
    }),
    limit: Flags.integer({ summary: 'How many at most.', min: 1, max: 200, default: 50 }),
  };

  async run(): Promise<{ suggestions: StoredSuggestion[] }> {
    const { flags } = await this.parse(SuggestionsList);
    const [{ describeObjects, listSuggestions }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/suggestions.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const page = await listSuggestions(connect({ server: flags.server }), {
      target: flags.target,
      states: flags.state as SuggestionState[] | undefined,
      limit: flags.limit,
    });
    if (page.suggestions.length === 0) this.log('No suggestions.');
    else
      this.log(
        renderTable(page.suggestions, [
          { header: 'ID', value: (s) => s.id },
          { header: 'SCORE', value: (s) => String(s.score), align: 'right' },
          { header: 'STATE', value: (s) => (s.changeId === undefined ? s.state : `${s.state} → ${s.changeId}`) },
          { header: 'KIND', value: (s) => s.kind },
          { header: 'IMPACT', value: (s) => s.impact },
          { header: 'RISK', value: (s) => s.risk },
          { header: 'EDITS', value: (s) => String(s.editCount), align: 'right' },
          { header: 'TARGET', value: (s) => s.targetId },
          { header: 'OBJECTS', value: (s) => describeObjects(s) },
        ]),
      );
    return page;
  }
}
