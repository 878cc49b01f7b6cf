import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { CiToken } from '../../services/control-plane/tokens.js';

export default class TokensList extends IsotypCommand {
  static override summary = 'List CI tokens (never their secrets).';
  static override description = 'The CI tokens of the projects you manage, with their scope, actions and state.';
  static override examples = [{ description: 'All tokens.', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<CiToken[]> {
    const { flags } = await this.parse(TokensList);
    const [{ listTokens }, { namesById }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/tokens.js'),
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const client = connect({ server: flags.server });
    const tokens = await listTokens(client);
    if (this.jsonEnabled()) return tokens;
    if (tokens.length === 0) {
      this.log('No CI tokens.');
      return tokens;
    }
    const names = await namesById(client);
    const name = (id: string) => names.get(id) ?? id;
    this.log(
      renderTable(tokens, [
        { header: 'ID', value: (t) => t.id },
        { header: 'NAME', value: (t) => t.name },
        { header: 'ENVIRONMENT', value: (t) => `${name(t.projectId)}/${name(t.environmentId)}` },
        { header: 'ACTIONS', value: (t) => t.actions.join(',') },
        {
          header: 'STATE',
          value: (t) => (t.revokedAt ? 'revoked' : t.expiresAt ? `expires ${t.expiresAt}` : 'active'),
        },
        { header: 'LAST USED', value: (t) => t.lastUsedAt ?? '-' },
      ]),
    );
    return tokens;
  }
}
