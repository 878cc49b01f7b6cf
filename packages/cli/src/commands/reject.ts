import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import type { DecideResult } from '../services/control-plane/approvals.js';

export default class Reject extends IsotypCommand {
  static override summary = 'Reject a change, signed with your key, with a reason.';
  static override description =
    'Signs a rejection of one policy layer (by default the first that applies and that your keyring roles fit) with your approver key and records it. One eligible rejection rejects the change.';
  static override examples = [
    {
      description: 'Reject with a reason.',
      command:
        '<%= config.bin %> <%= command.id %> chg_3q2Xv9Kd0aBcYz1M --reason "Drops a column the billing job still reads."',
    },
  ];
  static override args = { id: Args.string({ description: 'Change id.', required: true }) };
  static override flags = {
    server: serverFlag,
    reason: Flags.string({ summary: 'Why (at most 2000 characters); the author sees it.', required: true }),
    layer: Flags.string({ summary: 'Policy layer to reject (default: the first you can sign).' }),
  };

  async run(): Promise<DecideResult> {
    const { args, flags } = await this.parse(Reject);
    const [{ decide }, { connect, secretStore }] = await Promise.all([
      import('../services/control-plane/approvals.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const result = await decide(connect({ server: flags.server }), secretStore(), {
      id: args.id,
      decision: 'reject',
      layer: flags.layer,
      reason: flags.reason,
    });
    this.log(`Rejected layer ${result.layer} of ${result.change.id}. The change is now ${result.change.state}.`);
    return result;
  }
}
