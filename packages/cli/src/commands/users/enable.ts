import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { User } from '../../services/control-plane/users.js';

export default class UsersEnable extends IsotypCommand {
  static override summary = 'Enable a disabled user again, with the grants they had.';
  static override description = 'Needs users:manage on the whole organisation (an admin). They sign in anew.';
  static override examples = [
    { description: 'Ben is back.', command: '<%= config.bin %> <%= command.id %> ben@acme.test' },
  ];
  static override args = {
    user: Args.string({ description: 'The user’s email or id (usr_…).', required: true }),
  };
  static override flags = { server: serverFlag };

  async run(): Promise<User> {
    const { args, flags } = await this.parse(UsersEnable);
    const [{ setUserDisabled }, { connect }] = await Promise.all([
      import('../../services/control-plane/users.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const user = await setUserDisabled(connect({ server: flags.server }), args.user, false);
    this.log(`Enabled ${user.email} (${user.id}).`);
    return user;
  }
}
