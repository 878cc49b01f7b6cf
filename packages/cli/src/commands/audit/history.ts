import type { AuditEntry } from '@isotyp/agent';
import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class AuditHistory extends IsotypCommand {
  static override summary = 'The whole story of one entity, oldest first.';
  static override description = "Every entry of this agent's audit log about one entity, e.g. a target or a plan.";
  static override examples = [
    {
      description: 'Everything done to a target.',
      command: '<%= config.bin %> <%= command.id %> target:sqlite:app.db',
    },
  ];
  static override args = { entity: Args.string({ description: 'The entity as kind:id.', required: true }) };

  async run(): Promise<AuditEntry[]> {
    const { args } = await this.parse(AuditHistory);
    const { entityHistory } = await import('../../services/audit.js');
    const entries = entityHistory(args.entity);
    for (const e of entries) this.log(`${String(e.seq).padStart(6)}  ${e.time}  ${e.actor}  ${e.action}`);
    if (entries.length === 0) this.log(`No entries about ${args.entity}.`);
    return entries;
  }
}
