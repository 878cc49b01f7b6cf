import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import type { DecideResult } from '../services/control-plane/approvals.js';

export default class Approve extends IsotypCommand {
  static override summary = 'Approve one policy layer of a change, signed with your key.';
  static override description =
    'Signs {change, target, plan digest, policy version, layer, expiry} with your approver key on this machine and records the signature; the private key is never sent. Without --layer, the first layer that applies, that your keyring roles fit and that still misses approvals is signed. Agents verify every signature again before they apply.';
  static override examples = [
    {
      description: 'Approve, letting isotyp pick the layer.',
      command: '<%= config.bin %> <%= command.id %> chg_3q2Xv9Kd0aBcYz1M',
    },
    {
      description: 'Approve the dba layer for 4 hours.',
      command: '<%= config.bin %> <%= command.id %> chg_3q2Xv9Kd0aBcYz1M --layer dba --expires-in 4h',
    },
  ];
  static override args = { id: Args.string({ description: 'Change id.', required: true }) };
  static override flags = {
    server: serverFlag,
    layer: Flags.string({ summary: 'Policy layer to approve (default: the first you can sign that needs it).' }),
    'expires-in': Flags.string({
      summary: "How long the approval stays valid: 30m, 4h, 7d (default 24h, or the policy's maximum if shorter).",
    }),
  };

  async run(): Promise<DecideResult> {
    const { args, flags } = await this.parse(Approve);
    const [{ decide, parseDuration }, { connect, secretStore }] = await Promise.all([
      import('../services/control-plane/approvals.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const result = await decide(connect({ server: flags.server }), secretStore(), {
      id: args.id,
      decision: 'approve',
      layer: flags.layer,
      expiresInSeconds: flags['expires-in'] === undefined ? undefined : parseDuration(flags['expires-in']),
    });
    this.log(`Approved layer ${result.layer} of ${result.change.id} (valid until ${result.expiresAt}).`);
    this.log(`The change is now ${result.change.state}.`);
    return result;
  }
}
