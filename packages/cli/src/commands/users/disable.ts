import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { User } from '../../services/control-plane/users.js';

export default class UsersDisable extends IsotypCommand {
  static override summary = 'Disable a user who left: no sign-in, sessions ended, access refused at once.';
  static override description =
    'Needs users:manage on the whole organisation (an admin). The user’s refresh tokens are revoked and their access tokens refused from their next request; their grants, approver keys and history stay, and `isotyp users enable` brings them back. You cannot disable yourself, nor the last enabled organisation-wide admin. Their approver key stays in the org keyring until the org root re-signs it (isotyp org sign-keyring leaves disabled users out).';
  static override examples = [
    { description: 'Ben has left.', command: '<%= config.bin %> <%= command.id %> ben@acme.test' },
  ];
  static override args = {
    user: Args.string({ description: 'The user’s email or id (usr_…).', required: true }),
  };
  static override flags = { server: serverFlag };

  async run(): Promise<User> {
    const { args, flags } = await this.parse(UsersDisable);
    const [{ setUserDisabled }, { connect }] = await Promise.all([
      import('../../services/control-plane/users.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const user = await setUserDisabled(connect({ server: flags.server }), args.user, true);
    this.log(`Disabled ${user.email} (${user.id}): signed out everywhere; sign-in refused.`);
    return user;
  }
}
