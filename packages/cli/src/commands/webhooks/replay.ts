import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class WebhooksReplay extends IsotypCommand {
  static override summary = 'Send dead letters again: back in the queue, due now, with a fresh count of tries.';
  static override description =
    'Without arguments every dead letter of the organisation is replayed; --webhook limits it to one webhook, delivery ids to those. Receivers de-duplicate on the event id, so replaying what already arrived is harmless.';
  static override examples = [
    { description: 'Replay every dead letter.', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: "Replay one webhook's dead letters.",
      command: '<%= config.bin %> <%= command.id %> --webhook whk_3q2Xv9Kd0aBcYz1M',
    },
    {
      description: 'Replay two deliveries.',
      command: '<%= config.bin %> <%= command.id %> whk_3q2Xv9Kd0aBcYz1M:1042 whk_3q2Xv9Kd0aBcYz1M:1043',
    },
  ];
  static override strict = false;
  static override args = {
    // Left out, oclif would take ids from whatever is piped in; only the command line names them.
    ids: Args.string({
      description: 'Delivery ids (see isotyp webhooks deliveries --status dead).',
      ignoreStdin: true,
    }),
  };
  static override flags = { server: serverFlag, webhook: Flags.string({ summary: 'Only this webhook.' }) };

  async run(): Promise<{ replayed: string[] }> {
    const { argv, flags } = await this.parse(WebhooksReplay);
    const [{ replayDeadLetters }, { connect }] = await Promise.all([
      import('../../services/control-plane/webhooks.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const result = await replayDeadLetters(connect({ server: flags.server }), {
      webhookId: flags.webhook,
      ids: (argv as string[]).filter((id) => id !== ''),
    });
    this.log(
      result.replayed.length === 0
        ? 'No dead letters to replay.'
        : `Replayed ${result.replayed.length} ${result.replayed.length === 1 ? 'delivery' : 'deliveries'}.`,
    );
    return result;
  }
}
