import type { AuditEntry } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class AuditLogCommand extends IsotypCommand {
  static override summary = "List entries of this agent's audit log, newest first.";
  static override description =
    'The local audit log ($ISOTYP_HOME/audit.db) records every apply, rollback and migration made from this machine. Entries hold who, what, when and a digest of the details — never the details themselves, so no secret or row can land in it. Each entry is a leaf of an RFC 6962 Merkle tree; see isotyp audit verify.';
  static override examples = [
    { description: 'The latest entries.', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Entries about one target.',
      command: '<%= config.bin %> <%= command.id %> --entity target:sqlite:app.db --json',
    },
  ];
  static override flags = {
    entity: Flags.string({ summary: 'Only entries about this entity, as kind:id.' }),
    limit: Flags.integer({ summary: 'How many entries at most.', default: 100, min: 1 }),
  };

  async run(): Promise<AuditEntry[]> {
    const { flags } = await this.parse(AuditLogCommand);
    const { listEntries } = await import('../../services/audit.js');
    const entries = listEntries(flags.entity, flags.limit);
    for (const e of entries)
      this.log(`${String(e.seq).padStart(6)}  ${e.time}  ${e.actor}  ${e.action}  ${e.entity.kind}:${e.entity.id}`);
    if (entries.length === 0) this.log('The audit log is empty: nothing has been applied from this machine yet.');
    return entries;
  }
}
