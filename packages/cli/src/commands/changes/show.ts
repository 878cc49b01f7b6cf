import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Change } from '../../services/control-plane/changes.js';

export default class ChangesShow extends IsotypCommand {
  static override summary = 'Show a change request and where its review stands.';
  static override description =
    'The change, its manifest summary and, per policy layer, whether it applies, who approved or rejected it and how many approvals it still needs.';
  static override examples = [
    { description: 'One change.', command: '<%= config.bin %> <%= command.id %> chg_3q2Xv9Kd0aBcYz1M' },
  ];
  static override args = { id: Args.string({ description: 'Change id.', required: true }) };
  static override flags = { server: serverFlag };

  async run(): Promise<Change> {
    const { args, flags } = await this.parse(ChangesShow);
    const [{ getChange, readReview }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/changes.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const c = await getChange(connect({ server: flags.server }), args.id);
    const m = c.manifest;
    const actions = Object.entries(m.actions)
      .map(([a, n]) => `${a} ×${n}`)
      .join(', ');
    this.log(`${c.id}  ${c.state.toUpperCase()}  ${c.title}`);
    this.log(`  target    ${c.targetId} (project ${c.projectId}, environment ${c.environmentId})`);
    this.log(`  version   ${c.fromVersion} → ${c.toVersion} (${c.bump})`);
    this.log(`  plan      ${c.planDigest}`);
    this.log(`  changes   ${m.opCount} operation(s): ${actions || 'none'}`);
    this.log(
      `  risk      ${m.risk}${m.dataLoss ? ', may lose data' : ''}; privacy ${m.mode}; ${c.lint.length} lint finding(s)`,
    );
    this.log(
      `  author    ${c.authorUserId}; policy v${c.policyVersion}; updated ${c.updatedAt}${c.reason ? `; ${c.reason}` : ''}`,
    );
    const read = readReview(c);
    if ('error' in read) {
      this.log(`\nReview: unavailable (${read.error})`);
      return c;
    }
    const { review } = read;
    this.log(`\nReview: ${review.status}`);
    this.log(
      renderTable(review.layers, [
        { header: 'LAYER', value: (l) => l.name },
        { header: 'ROLE', value: (l) => l.role },
        { header: 'APPLIES', value: (l) => (l.applies ? 'yes' : 'no') },
        { header: 'NEEDS', value: (l) => String(l.required), align: 'right' },
        { header: 'APPROVED BY', value: (l) => l.approvedBy.join(', ') || '-' },
        { header: 'REJECTED BY', value: (l) => l.rejectedBy.join(', ') || '-' },
        { header: 'MISSING', value: (l) => String(l.missing), align: 'right' },
      ]),
    );
    return c;
  }
}
