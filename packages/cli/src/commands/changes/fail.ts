import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Change } from '../../services/control-plane/changes.js';

export default class ChangesFail extends IsotypCommand {
  static override summary = 'End a change left applying as failed, with the reason.';
  static override description =
    'For a change the control plane still sees applying although nothing is applying it: its claim can no longer be resumed (its answer was lost over a day ago, or its token or agent is gone). First check that it was not applied: the target’s live digest (isotyp inspect) must still be the change’s fromDigest (isotyp changes show). Needs the apply permission in the change’s environment. A failed change is never applied; plan and submit it again.';
  static override examples = [
    {
      description: 'End a change whose claim was lost.',
      command:
        '<%= config.bin %> <%= command.id %> chg_3q2Xv9Kd0aBcYz1M --reason "Claim lost in an outage; the target is still at fromDigest."',
    },
  ];
  static override args = { id: Args.string({ description: 'Change id.', required: true }) };
  static override flags = {
    server: serverFlag,
    reason: Flags.string({
      summary: 'Why (at most 2000 characters); kept with the change and audited.',
      required: true,
    }),
  };

  async run(): Promise<Change> {
    const { args, flags } = await this.parse(ChangesFail);
    const [{ failChange }, { connect }] = await Promise.all([
      import('../../services/control-plane/changes.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const change = await failChange(connect({ server: flags.server }), args.id, flags.reason);
    this.log(`${change.id} is now ${change.state}: ${flags.reason}`);
    return change;
  }
}
