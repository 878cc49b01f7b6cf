import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Delivery } from '../../services/control-plane/webhooks.js';

export default class WebhooksDeliveries extends IsotypCommand {
  static override summary = 'Show webhook deliveries: pending, delivered, or dead (failed every try).';
  static override examples = [
    { description: 'The dead letters.', command: '<%= config.bin %> <%= command.id %> --status dead' },
    {
      description: "One webhook's deliveries as JSON.",
      command: '<%= config.bin %> <%= command.id %> --webhook whk_3q2Xv9Kd0aBcYz1M --json',
    },
  ];
  static override flags = {
    server: serverFlag,
    webhook: Flags.string({ summary: 'Only this webhook.' }),
    status: Flags.string({ summary: 'Only deliveries in this state.', options: ['pending', 'delivered', 'dead'] }),
    limit: Flags.integer({ summary: 'At most this many (oldest event first).', min: 1, max: 1000, default: 100 }),
  };

  async run(): Promise<Delivery[]> {
    const { flags } = await this.parse(WebhooksDeliveries);
    const [{ listDeliveries }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/webhooks.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const deliveries = await listDeliveries(connect({ server: flags.server }), {
      webhookId: flags.webhook,
      status: flags.status as Delivery['status'] | undefined,
      limit: flags.limit,
    });
    if (deliveries.length === 0) this.log('No deliveries.');
    else
      this.log(
        renderTable(deliveries, [
          { header: 'DELIVERY', value: (d) => d.id },
          { header: 'EVENT', value: (d) => String(d.eventSeq) },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'TRIES', value: (d) => String(d.attempts) },
          { header: 'LAST ERROR', value: (d) => d.lastError ?? '-' },
          { header: 'WHEN', value: (d) => d.deliveredAt ?? d.deadAt ?? d.nextAttemptAt ?? '-' },
        ]),
      );
    return deliveries;
  }
}
