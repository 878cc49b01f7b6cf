import type { ChangeState } from '@isotyp/protocol';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { envFlag, projectFlag, serverFlag } from '../../control-plane-flags.js';
import type { ChangeSummary } from '../../services/control-plane/changes.js';

// Spelled out rather than imported: commands load when help is built, and the protocol package is
// loaded only once a command runs.
const states = [
  'draft',
  'submitted',
  'in_review',
  'approved',
  'rejected',
  'applying',
  'applied',
  'failed',
  'rolled_back',
  'expired',
  'superseded',
] as const satisfies readonly ChangeState[];

export default class ChangesList extends IsotypCommand {
  static override summary = 'List change requests, newest first.';
  static override description =
    'Filters take ids or names. --json prints {changes, next}; pass next as --before for the next page.';
  static override examples = [
    {
      description: 'What waits for review in prod.',
      command: '<%= config.bin %> <%= command.id %> --env prod --state submitted --state in_review',
    },
  ];
  static override flags = {
    server: serverFlag,
    state: Flags.string({
      summary: 'Only changes in this state (repeatable).',
      options: [...states],
      multiple: true,
    }),
    project: projectFlag,
    env: envFlag,
    target: Flags.string({ char: 't', summary: 'Target id or name.' }),
    limit: Flags.integer({ summary: 'How many at most.', min: 1, max: 200, default: 50 }),
    before: Flags.string({ summary: 'Only changes created before this time (the `next` of a previous page).' }),
  };

  async run(): Promise<{ changes: ChangeSummary[]; next?: string | undefined }> {
    const { flags } = await this.parse(ChangesList);
    const [{ listChanges }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/changes.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const page = await listChanges(connect({ server: flags.server }), {
      states: flags.state as ChangeState[] | undefined,
      project: flags.project,
      env: flags.env,
      target: flags.target,
      limit: flags.limit,
      before: flags.before,
    });
    if (page.changes.length === 0) this.log('No change requests.');
    else
      this.log(
        renderTable(page.changes, [
          { header: 'ID', value: (c) => c.id },
          { header: 'STATE', value: (c) => c.state },
          { header: 'VERSION', value: (c) => `${c.fromVersion} → ${c.toVersion}` },
          { header: 'RISK', value: (c) => `${c.manifest.risk}${c.manifest.dataLoss ? ', data loss' : ''}` },
          { header: 'TARGET', value: (c) => c.targetId },
          { header: 'CREATED', value: (c) => c.createdAt },
          { header: 'TITLE', value: (c) => c.title },
        ]),
      );
    if (page.next !== undefined) this.log(`\nMore: --before ${page.next}`);
    return page;
  }
}
