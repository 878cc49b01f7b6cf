import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

interface AgentRow {
  id: string;
  name: string;
  identityKeyId: string;
  certificateNotAfter: string;
  createdAt: string;
  revokedAt?: string | undefined;
  lastSeenAt?: string | undefined;
}

export default class AgentsList extends IsotypCommand {
  static override summary = 'The organisation’s agents: certificate expiry, revocation, last seen.';
  static override examples = [{ description: 'All agents.', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<AgentRow[]> {
    const { flags } = await this.parse(AgentsList);
    const [{ connect }, { renderTable }, { z }] = await Promise.all([
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
      import('zod'),
    ]);
    const row = z.object({
      id: z.string(),
      name: z.string(),
      identityKeyId: z.string(),
      certificateNotAfter: z.string(),
      createdAt: z.string(),
      revokedAt: z.string().optional(),
      lastSeenAt: z.string().optional(),
    });
    const { agents } = await connect({ server: flags.server }).get('/v1/agents', z.object({ agents: z.array(row) }));
    if (agents.length === 0) this.log('No agents enrolled.');
    else
      this.log(
        renderTable(agents, [
          { header: 'ID', value: (a) => a.id },
          { header: 'NAME', value: (a) => a.name },
          { header: 'CERTIFICATE UNTIL', value: (a) => a.certificateNotAfter },
          { header: 'STATUS', value: (a) => (a.revokedAt ? `revoked ${a.revokedAt}` : 'active') },
          { header: 'LAST SEEN', value: (a) => a.lastSeenAt ?? '-' },
        ]),
      );
    return agents;
  }
}
