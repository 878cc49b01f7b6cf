import { IsotypCommand } from '../../base-command.js';
import type { VerifyOutput } from '../../services/audit.js';

export default class AuditVerify extends IsotypCommand {
  static override summary = "Verify this agent's audit log end to end.";
  static override description =
    'Recomputes every leaf from the stored entries, rebuilds the Merkle tree and checks it against the saved tree state and checkpoints. Any edited, deleted, reordered or truncated entry fails with ISOTYP_AUDIT_TAMPERED (exit 7) naming the first bad entry.';
  static override examples = [{ description: 'Verify the log.', command: '<%= config.bin %> <%= command.id %>' }];

  async run(): Promise<VerifyOutput> {
    await this.parse(AuditVerify);
    const { verifyLog } = await import('../../services/audit.js');
    const result = verifyLog();
    this.log(`The audit log verifies: ${result.size} entries, root ${result.root}.`);
    return result;
  }
}
