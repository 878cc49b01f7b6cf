import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class AgentHeartbeat extends IsotypCommand {
  static override summary = 'Report in once, as this agent: its version and its targets’ live schema digests.';
  static override description =
    'Authenticates with the client certificate from isotyp agent enroll (mutual TLS against the pinned CA). For each --target it reads the live schema and sends only its digest. The agent daemon (isotyp agent start) sends these on a timer.';
  static override examples = [
    {
      description: 'Report one database.',
      command:
        "<%= config.bin %> <%= command.id %> --target 'orders=postgres://agent@db/orders?password=keychain:orders'",
    },
  ];
  static override flags = {
    target: Flags.string({
      char: 't',
      summary: 'NAME=URL of a database this agent serves (repeatable).',
      multiple: true,
      default: [],
    }),
  };

  async run(): Promise<{ serverTime: string; nextHeartbeatSeconds: number }> {
    const { flags } = await this.parse(AgentHeartbeat);
    const [{ sendHeartbeat }, { withTargetSecrets }, { IsotypError }] = await Promise.all([
      import('../../services/agent/heartbeat.js'),
      import('../../services/secrets.js'),
      import('@isotyp/protocol'),
    ]);
    const targets = [];
    for (const spec of flags.target) {
      const at = spec.indexOf('=');
      if (at <= 0) {
        throw new IsotypError('ISOTYP_USAGE', 'A --target is NAME=URL.', {
          hint: 'e.g. --target orders=sqlite:./orders.db',
        });
      }
      targets.push({ name: spec.slice(0, at), url: await withTargetSecrets(spec.slice(at + 1)) });
    }
    const answer = await sendHeartbeat(targets);
    this.log(`Heard at ${answer.serverTime}; next heartbeat in ${answer.nextHeartbeatSeconds} s.`);
    return answer;
  }
}
