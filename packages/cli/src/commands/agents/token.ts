import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class AgentsToken extends IsotypCommand {
  static override summary = 'Make a one-time enrolment token for a new agent.';
  static override description =
    'The token is printed once. It lives at most 30 minutes and can be redeemed once, by isotyp agent enroll on the agent’s machine; the control plane keeps only its hash. Needs an admin.';
  static override examples = [
    { description: 'For an agent named edge-1.', command: '<%= config.bin %> <%= command.id %> edge-1' },
  ];
  static override args = {
    name: Args.string({ description: 'The agent’s name (lower-case letters, digits, . _ -).', required: true }),
  };
  static override flags = {
    'expires-in': Flags.integer({ summary: 'Minutes the token lives (1–30).', default: 30, min: 1, max: 30 }),
    server: serverFlag,
  };

  async run(): Promise<{ name: string; token: string; expiresAt: string; caFingerprint: string }> {
    const { args, flags } = await this.parse(AgentsToken);
    const [{ connect }, { z }] = await Promise.all([
      import('../../services/control-plane/connection.js'),
      import('zod'),
    ]);
    const answer = await connect({ server: flags.server }).post(
      '/v1/agents/enrolment-tokens',
      { name: args.name, expiresInMinutes: flags['expires-in'] },
      z.object({ name: z.string(), token: z.string(), expiresAt: z.string(), caFingerprint: z.string() }),
    );
    this.log(answer.token);
    this.logToStderr(`One-time enrolment token for ${answer.name}, valid until ${answer.expiresAt}.`);
    this.logToStderr(`CA fingerprint (for isotyp agent enroll --ca-fingerprint): ${answer.caFingerprint}`);
    return answer;
  }
}
