import type { z } from 'zod';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { agentRowSchema } from '../../services/control-plane/agents.js';

type AgentRow = z.infer<typeof agentRowSchema>;

export default class AgentsList extends IsotypCommand {
  static override summary = 'The fleet: each agent’s certificate expiry, version, last heartbeat; stale ones flagged.';
  static override examples = [{ description: 'All agents.', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<AgentRow[]> {
    const { flags } = await this.parse(AgentsList);
    const [{ connect }, { renderTable }, { listAgents }] = await Promise.all([
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
      import('../../services/control-plane/agents.js'),
    ]);
    const agents = await listAgents(connect({ server: flags.server }));
    if (agents.length === 0) this.log('No agents enrolled.');
    else
      this.log(
        renderTable(agents, [
          { header: 'ID', value: (a) => a.id },
          { header: 'NAME', value: (a) => a.name },
          { header: 'CERTIFICATE UNTIL', value: (a) => a.certificateNotAfter },
          { header: 'STATUS', value: (a) => (a.revokedAt ? 'revoked' : a.stale ? 'STALE' : 'active') },
          { header: 'VERSION', value: (a) => a.version ?? '-' },
          { header: 'LAST SEEN', value: (a) => a.lastSeenAt ?? 'never' },
        ]),
      );
    return agents;
  }
}
