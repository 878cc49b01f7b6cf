import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class AuditProof extends IsotypCommand {
  static override summary = 'Print the inclusion proof of one audit entry.';
  static override description =
    'An RFC 6962 inclusion proof that entry SEQ is in the current tree: anyone holding a signed checkpoint of that size and root can check it without the rest of the log.';
  static override examples = [
    { description: 'Prove entry 0.', command: '<%= config.bin %> <%= command.id %> --seq 0 --json' },
  ];
  static override flags = { seq: Flags.integer({ summary: 'Entry number (from 0).', required: true, min: 0 }) };

  async run(): Promise<ReturnType<typeof import('../../services/audit.js').proveEntry>> {
    const { flags } = await this.parse(AuditProof);
    const { proveEntry } = await import('../../services/audit.js');
    const proof = proveEntry(flags.seq);
    this.log(`Entry ${proof.seq} (${proof.entry.action} ${proof.entry.entity.kind}:${proof.entry.entity.id})`);
    this.log(`leaf ${proof.leaf}\ntree size ${proof.size}, root ${proof.root}`);
    for (const [i, hash] of proof.proof.entries()) this.log(`  ${i}: ${hash}`);
    return proof;
  }
}
