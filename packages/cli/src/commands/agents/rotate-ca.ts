import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class AgentsRotateCa extends IsotypCommand {
  static override summary = 'Rotate the agent CA, with an overlap so that no agent is cut off.';
  static override description =
    'A new CA issues agent certificates from now on. The old one keeps signing the control plane’s own certificate and stays trusted for the overlap (caOverlapSeconds, 72 h by default), while every agent renews at its half-life and pins the new CA with the answer. When the overlap ends the server switches to the new CA; an agent that did not renew in time must enrol again. Needs an admin.';
  static override examples = [{ description: 'Rotate.', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<{ fingerprint: string; previous: string; overlapUntil: string }> {
    const { flags } = await this.parse(AgentsRotateCa);
    const [{ connect }, { z }] = await Promise.all([
      import('../../services/control-plane/connection.js'),
      import('zod'),
    ]);
    const answer = await connect({ server: flags.server }).post(
      '/v1/agents/ca/rotate',
      {},
      z.object({ fingerprint: z.string(), previous: z.string(), overlapUntil: z.string() }),
    );
    this.log(
      `New agent CA ${answer.fingerprint}; the old one (${answer.previous}) counts until ${answer.overlapUntil}.`,
    );
    return answer;
  }
}
