import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';

export default class Review extends IsotypCommand {
  static override summary = 'Review changes in the terminal: pick one, read it, approve or reject it with your key.';
  static override description =
    'An interactive screen (ink) over the changes waiting for review: ↑/↓ and Enter open one (risk, data loss, operations, versions, plan digest, where each policy layer stands); a approves and r rejects with a reason, signed with your approver key on this machine, exactly as isotyp approve and isotyp reject do. Needs a terminal; in scripts use isotyp changes list --json, isotyp approve and isotyp reject.';
  static override examples = [
    { description: 'Review what waits for you.', command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override flags = { server: serverFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Review);
    const { IsotypError } = await import('@isotyp/protocol');
    if (!process.stdin.isTTY || !process.stdout.isTTY || this.jsonEnabled()) {
      throw new IsotypError('ISOTYP_USAGE', 'isotyp review is interactive and needs a terminal.', {
        hint: 'In scripts: isotyp changes list --state in_review --json, then isotyp approve ID or isotyp reject ID --reason ….',
      });
    }
    const [{ render }, { ReviewApp }, { reviewBackend }, { connect, secretStore }] = await Promise.all([
      import('ink'),
      import('../ui/views/review-app.js'),
      import('../services/control-plane/review-backend.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const { waitUntilExit } = render(
      <ReviewApp backend={reviewBackend(connect({ server: flags.server }), secretStore())} />,
    );
    await waitUntilExit();
  }
}
