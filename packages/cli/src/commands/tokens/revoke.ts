import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class TokensRevoke extends IsotypCommand {
  static override summary = 'Revoke a CI token.';
  static override description = 'The token stops working at once. Revoking a revoked token is not an error.';
  static override examples = [
    { description: 'Revoke a token.', command: '<%= config.bin %> <%= command.id %> tok_3q2Xv9Kd0aBcYz1M' },
  ];
  static override args = { id: Args.string({ description: 'Token id (see isotyp tokens list).', required: true }) };
  static override flags = { server: serverFlag };

  async run(): Promise<{ id: string; revoked: true }> {
    const { args, flags } = await this.parse(TokensRevoke);
    const [{ revokeToken }, { connect }] = await Promise.all([
      import('../../services/control-plane/tokens.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const result = await revokeToken(connect({ server: flags.server }), args.id);
    this.log(`Revoked CI token ${args.id}.`);
    return result;
  }
}
