import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { grantFlags, type RoleName, serverFlag } from '../../control-plane-flags.js';

export default class UsersGrant extends IsotypCommand {
  static override summary = 'Grant a user a role at the organisation, a project or an environment.';
  static override description =
    'Needs users:manage at the grant’s scope (an admin there: a project admin grants in their own project only). Without --project the grant is organisation-wide; with --project alone, on the project; with --env too, on that environment. It takes effect on the user’s next request; a grant the user already holds is left as it is. `isotyp users revoke` takes it back.';
  static override examples = [
    {
      description: 'Carl runs migrations on shop/prod only.',
      command: '<%= config.bin %> <%= command.id %> carl@acme.test --role dba --project shop --env prod',
    },
    {
      description: 'Ben approves everywhere.',
      command: '<%= config.bin %> <%= command.id %> ben@acme.test --role approver',
    },
  ];
  static override args = {
    user: Args.string({ description: 'The user’s email or id (usr_…).', required: true }),
  };
  static override flags = {
    server: serverFlag,
    ...grantFlags,
  };

  async run(): Promise<{
    userId: string;
    email: string;
    granted: { id: string; role: string; scope: unknown };
    alreadyHeld: boolean;
  }> {
    const { args, flags } = await this.parse(UsersGrant);
    const [{ addGrant }, { connect }] = await Promise.all([
      import('../../services/control-plane/users.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const { user, granted, alreadyHeld, described } = await addGrant(
      connect({ server: flags.server }),
      args.user,
      flags.role as RoleName,
      {
        projectId: flags.project,
        environmentId: flags.env,
      },
    );
    this.log(alreadyHeld ? `${user.email} already holds ${described}.` : `Granted ${described} to ${user.email}.`);
    return {
      userId: user.id,
      email: user.email,
      granted: { id: granted.id, role: granted.role, scope: granted.scope },
      alreadyHeld,
    };
  }
}
