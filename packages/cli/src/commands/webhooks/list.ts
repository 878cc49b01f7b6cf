import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Webhook } from '../../services/control-plane/webhooks.js';

export default class WebhooksList extends IsotypCommand {
  static override summary = "List the organisation's webhooks (never their secrets).";
  static override examples = [{ description: 'All webhooks.', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<Webhook[]> {
    const { flags } = await this.parse(WebhooksList);
    const [{ listWebhooks }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/webhooks.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const hooks = await listWebhooks(connect({ server: flags.server }));
    if (hooks.length === 0) this.log('No webhooks.');
    else
      this.log(
        renderTable(hooks, [
          { header: 'ID', value: (h) => h.id },
          { header: 'URL', value: (h) => h.url },
          { header: 'EVENTS', value: (h) => h.events.join(',') },
          { header: 'DESCRIPTION', value: (h) => h.description ?? '-' },
        ]),
      );
    return hooks;
  }
}
