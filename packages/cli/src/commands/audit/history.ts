import type { AuditEntry } from '@isotyp/agent';
import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import type { HistoryEntry } from '../../services/audit.js';

export default class AuditHistory extends IsotypCommand {
  static override summary = 'The whole story of one entity, oldest first.';
  static override description =
    "Every entry of this agent's audit log about one entity, e.g. a target or a plan. When you are signed in to a control plane (isotyp login), its entries about the entity are merged in by time, each marked with its source; a control-plane entry is marked verified only when its inclusion proof leads to the control plane's signed checkpoint (log key pinned on first use).";
  static override examples = [
    {
      description: 'Everything done to a target.',
      command: '<%= config.bin %> <%= command.id %> target:sqlite:app.db',
    },
    {
      description: "A change's story, from this agent and the control plane.",
      command: '<%= config.bin %> <%= command.id %> change:chg_123 --json',
    },
  ];
  static override args = { entity: Args.string({ description: 'The entity as kind:id.', required: true }) };

  async run(): Promise<AuditEntry[] | HistoryEntry[]> {
    const { args } = await this.parse(AuditHistory);
    const { mergedHistory } = await import('../../services/audit.js');
    const { entries, warning } = await mergedHistory(args.entity);
    if (warning !== undefined) this.warn(warning);
    for (const e of entries) {
      const line = `${String(e.seq).padStart(6)}  ${e.time}  ${e.actor}  ${e.action}`;
      this.log(
        'source' in e ? `${sourceMark(e)}${line}${e.unverified ? `  (unverified: ${e.unverified})` : ''}` : line,
      );
    }
    if (entries.length === 0) this.log(`No entries about ${args.entity}.`);
    return entries;
  }
}

/** Which log a line comes from, once a control plane is involved; ✓ when its proof checked out. */
function sourceMark(entry: HistoryEntry): string {
  if (entry.source === 'agent') return 'agent  ';
  return entry.verified ? 'cp ✓   ' : 'cp ✗   ';
}
