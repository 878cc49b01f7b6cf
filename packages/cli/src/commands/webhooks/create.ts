import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { CreatedWebhook } from '../../services/control-plane/webhooks.js';

export default class WebhooksCreate extends IsotypCommand {
  static override summary = "Send the organisation's events to a URL, signed with HMAC-SHA256.";
  static override description =
    'Each matching event is POSTed as JSON with isotyp-webhook-id, isotyp-webhook-timestamp and isotyp-webhook-signature (v1=HMAC-SHA256 of "<timestamp>.<body>"). Failed deliveries are retried with backoff, then kept as dead letters (isotyp webhooks replay). The secret is printed once. Needs org:admin.';
  static override examples = [
    {
      description: 'Every change event to a chat bridge.',
      command:
        '<%= config.bin %> <%= command.id %> --url https://hooks.example.com/isotyp --events "change.*" --description "changes to #db-reviews"',
    },
  ];
  static override flags = {
    server: serverFlag,
    url: Flags.string({ summary: 'The https:// URL of your receiver.', required: true }),
    events: Flags.string({
      summary: 'Comma-separated event types or prefixes: change.approve, change.*, or * for all.',
      required: true,
      delimiter: ',',
      multiple: true,
    }),
    description: Flags.string({ summary: 'What the webhook is for.' }),
  };

  async run(): Promise<CreatedWebhook> {
    const { flags } = await this.parse(WebhooksCreate);
    const [{ createWebhook }, { connect }] = await Promise.all([
      import('../../services/control-plane/webhooks.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const created = await createWebhook(connect({ server: flags.server }), {
      url: flags.url,
      events: [...new Set(flags.events.map((e) => e.trim()).filter((e) => e !== ''))],
      description: flags.description,
    });
    this.log(`Created webhook ${created.id} → ${created.url} (${created.events.join(', ')}).`);
    this.log(`\n  ${created.secret}\n`);
    this.log('This is the only time the signing secret is shown. Give it to the receiver; it verifies every delivery.');
    return created;
  }
}
