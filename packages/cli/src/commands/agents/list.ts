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
  version?: string | undefined;
  report?: unknown;
  stale?: boolean | undefined;
}

export default class AgentsList extends IsotypCommand {
  static override summary = 'The fleet: each agent’s certificate expiry, version, last heartbeat; stale ones flagged.';
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
      version: z.string().optional(),
      report: z.unknown().optional(),
      stale: z.boolean().optional(),
    });
    const { agents } = await connect({ server: flags.server }).get('/v1/agents', z.object({ agents: z.array(row) }));
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
