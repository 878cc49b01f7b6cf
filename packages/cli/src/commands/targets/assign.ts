import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { projectFlag, serverFlag } from '../../control-plane-flags.js';

export default class TargetsAssign extends IsotypCommand {
  static override summary = 'Put a target in an agent’s care (admins).';
  static override description =
    'The agent then pulls the target’s approved changes and accepted suggestions, and reports its heartbeat and drift. --agent takes the agent’s name or id; --none takes the target out of any agent’s care.';
  static override examples = [
    {
      description: 'Give orders-db to edge-1.',
      command: '<%= config.bin %> <%= command.id %> orders-db --agent edge-1',
    },
    { description: 'Take it back.', command: '<%= config.bin %> <%= command.id %> orders-db --none' },
  ];
  static override args = { target: Args.string({ description: 'Target id or name.', required: true }) };
  static override flags = {
    server: serverFlag,
    project: projectFlag,
    agent: Flags.string({ summary: 'Agent name or id.', exactlyOne: ['agent', 'none'] }),
    none: Flags.boolean({ summary: 'In no agent’s care.', exactlyOne: ['agent', 'none'] }),
  };

  async run(): Promise<{ targetId: string; agentId: string | null }> {
    const { args, flags } = await this.parse(TargetsAssign);
    const [{ findTarget, resolveProject }, { connect }, { z }, { IsotypError }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
      import('zod'),
      import('@isotyp/protocol'),
    ]);
    const client = connect({ server: flags.server });
    const projectId = flags.project === undefined ? undefined : (await resolveProject(client, flags.project)).id;
    const target = await findTarget(client, args.target, { projectId });
    let agentId: string | null = null;
    if (flags.agent !== undefined) {
      const { agents } = await client.get(
        '/v1/agents',
        z.object({ agents: z.array(z.object({ id: z.string(), name: z.string(), revokedAt: z.string().optional() })) }),
      );
      const agent = agents.find((a) => (a.id === flags.agent || a.name === flags.agent) && a.revokedAt === undefined);
      if (agent === undefined) {
        throw new IsotypError('ISOTYP_NOT_FOUND', `No enrolled agent ${flags.agent}.`, {
          hint: 'See them with isotyp agents list; enrol one with isotyp agents token NAME and isotyp agent enroll.',
        });
      }
      agentId = agent.id;
    }
    await client.post(`/v1/targets/${encodeURIComponent(target.id)}/agent`, { agentId }, z.unknown());
    this.log(
      agentId === null
        ? `Target ${target.name} is in no agent’s care.`
        : `Target ${target.name} is in the care of agent ${flags.agent} (${agentId}).`,
    );
    return { targetId: target.id, agentId };
  }
}
