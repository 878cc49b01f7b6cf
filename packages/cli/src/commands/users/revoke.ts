import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { grantFlags, type RoleName, serverFlag } from '../../control-plane-flags.js';

export default class UsersRevoke extends IsotypCommand {
  static override summary = 'Take a role grant from a user, at the organisation, a project or an environment.';
  static override description =
    'Needs users:manage at the grant’s scope (an admin there). Without --project the grant is the organisation-wide one; with --project alone, the project’s; with --env too, that environment’s. It takes effect on the user’s next request. The last organisation-wide admin grant of an enabled user is kept.';
  static override examples = [
    {
      description: 'Ben no longer approves.',
      command: '<%= config.bin %> <%= command.id %> ben@acme.test --role approver',
    },
    {
      description: 'Carl no longer runs migrations on shop/prod.',
      command: '<%= config.bin %> <%= command.id %> carl@acme.test --role dba --project shop --env prod',
    },
  ];
  static override args = {
    user: Args.string({ description: 'The user’s email or id (usr_…).', required: true }),
  };
  static override flags = {
    server: serverFlag,
    ...grantFlags,
  };

  async run(): Promise<{ userId: string; email: string; revoked: { id: string; role: string; scope: unknown } }> {
    const { args, flags } = await this.parse(UsersRevoke);
    const [{ revokeGrant }, { connect }] = await Promise.all([
      import('../../services/control-plane/users.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const { user, revoked, described } = await revokeGrant(
      connect({ server: flags.server }),
      args.user,
      flags.role as RoleName,
      {
        projectId: flags.project,
        environmentId: flags.env,
      },
    );
    this.log(`Revoked ${described} from ${user.email}.`);
    return {
      userId: user.id,
      email: user.email,
      revoked: { id: revoked.id, role: revoked.role, scope: revoked.scope },
    };
  }
}
