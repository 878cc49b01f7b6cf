import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class AgentsRevoke extends IsotypCommand {
  static override summary = 'Revoke an agent: its certificate is refused from its next request on.';
  static override examples = [
    { description: 'Revoke a lost machine.', command: '<%= config.bin %> <%= command.id %> agt_…' },
  ];
  static override args = { id: Args.string({ description: 'Agent id (see isotyp agents list).', required: true }) };
  static override flags = { server: serverFlag };

  async run(): Promise<{ id: string; revokedAt: string }> {
    const { args, flags } = await this.parse(AgentsRevoke);
    const [{ connect }, { parseAnswer }, { z }] = await Promise.all([
      import('../../services/control-plane/connection.js'),
      import('../../services/control-plane/client.js'),
      import('zod'),
    ]);
    const path = `/v1/agents/${encodeURIComponent(args.id)}`;
    const agent = parseAnswer(
      z.object({ id: z.string(), revokedAt: z.string() }).loose(),
      await connect({ server: flags.server }).request('DELETE', path, {}),
      `DELETE ${path}`,
    );
    this.log(`Revoked agent ${agent.id} (${agent.revokedAt}).`);
    return { id: agent.id, revokedAt: agent.revokedAt };
  }
}
