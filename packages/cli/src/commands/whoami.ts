import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import type { Whoami as WhoamiResult } from '../services/control-plane/auth.js';

export default class Whoami extends IsotypCommand {
  static override summary = 'Show who the control plane takes you for, and your roles.';
  static override description =
    'Asks the control plane which person (or CI token, when ISOTYP_TOKEN is set) the current credentials speak for, with the role grants and their scopes.';
  static override examples = [{ description: 'Who am I?', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<WhoamiResult & { server: string }> {
    const { flags } = await this.parse(Whoami);
    const [{ whoami }, { connect }] = await Promise.all([
      import('../services/control-plane/auth.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const client = connect({ server: flags.server });
    const me = await whoami(client);
    if (me.kind === 'ci' && me.ci !== undefined) {
      this.log(`CI token ${me.ci.tokenId} at ${client.server} (org ${me.orgId})`);
      this.log(
        `  scope: project ${me.ci.projectId}, environment ${me.ci.environmentId}; may ${me.ci.actions.join(', ')}`,
      );
    } else {
      this.log(`${me.email ?? me.userId} at ${client.server} (org ${me.orgId}, user ${me.userId})`);
      for (const grant of me.grants ?? []) {
        const scope = grant.scope.environmentId ?? grant.scope.projectId ?? 'organisation';
        this.log(`  ${grant.role.padEnd(9)} ${grant.scope.kind === 'org' ? scope : `${grant.scope.kind} ${scope}`}`);
      }
    }
    return { ...me, server: client.server };
  }
}
