import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class WebhooksDelete extends IsotypCommand {
  static override summary = 'Delete a webhook, with its pending deliveries and dead letters.';
  static override examples = [
    { description: 'Delete a webhook.', command: '<%= config.bin %> <%= command.id %> whk_3q2Xv9Kd0aBcYz1M' },
  ];
  static override args = { id: Args.string({ description: 'Webhook id (see isotyp webhooks list).', required: true }) };
  static override flags = { server: serverFlag };

  async run(): Promise<{ id: string; deleted: true }> {
    const { args, flags } = await this.parse(WebhooksDelete);
    const [{ deleteWebhook }, { connect }] = await Promise.all([
      import('../../services/control-plane/webhooks.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const result = await deleteWebhook(connect({ server: flags.server }), args.id);
    this.log(`Deleted webhook ${args.id}.`);
    return result;
  }
}
