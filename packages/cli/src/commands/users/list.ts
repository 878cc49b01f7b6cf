import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { User } from '../../services/control-plane/users.js';

export default class UsersList extends IsotypCommand {
  static override summary = 'List the organisation’s users and their role grants.';
  static override examples = [
    { description: 'Who may approve?', command: '<%= config.bin %> <%= command.id %> --json' },
  ];
  static override flags = { server: serverFlag };

  async run(): Promise<User[]> {
    const { flags } = await this.parse(UsersList);
    const [{ catalogNames, describeGrant, listUsers }, { connect }] = await Promise.all([
      import('../../services/control-plane/users.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const client = connect({ server: flags.server });
    const users = await listUsers(client);
    if (!this.jsonEnabled()) {
      const names = await catalogNames(
        client,
        users.flatMap((u) => u.grants),
      );
      for (const user of users) {
        const roles = user.grants.map((g) => describeGrant(g, names)).join(', ') || '(no roles)';
        this.log(`${user.email.padEnd(32)} ${user.id.padEnd(22)} ${roles}${user.disabled ? '  [disabled]' : ''}`);
      }
    }
    return users;
  }
}
