import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { ROLE_NAMES, serverFlag } from '../../control-plane-flags.js';
import type { User } from '../../services/control-plane/users.js';

export default class UsersCreate extends IsotypCommand {
  static override summary = 'Create a user with organisation-wide roles.';
  static override description =
    'Needs users:manage (an admin). The password comes from --password-stdin or ISOTYP_NEW_USER_PASSWORD, never from a flag; leave both out for a user who signs in through the OpenID provider. Roles: admin, approver, dba, ci, agent, auditor, viewer.';
  static override examples = [
    {
      description: 'An approver with a password.',
      command:
        'printf \'%s\' "$PW" | <%= config.bin %> <%= command.id %> ben@acme.test --role approver --password-stdin',
    },
    {
      description: 'A DBA who also approves.',
      command: '<%= config.bin %> <%= command.id %> carl@acme.test --role dba --role approver',
    },
  ];
  static override args = {
    email: Args.string({
      description: 'The user’s email (their sign-in name), as the other users commands take it.',
      // Left out, oclif would read it from piped stdin, which carries the password here.
      ignoreStdin: true,
    }),
  };
  static override flags = {
    server: serverFlag,
    email: Flags.string({ summary: 'The user’s email, instead of the argument.' }),
    name: Flags.string({ summary: 'Display name (default: the part of the email before @).' }),
    role: Flags.string({
      summary: 'A role granted on the whole organisation (repeatable).',
      required: true,
      multiple: true,
      options: [...ROLE_NAMES],
    }),
    'password-stdin': Flags.boolean({ summary: 'Read the new user’s password from stdin.' }),
  };

  async run(): Promise<User> {
    const { args, flags } = await this.parse(UsersCreate);
    const email = args.email ?? flags.email;
    if (email === undefined || (args.email !== undefined && flags.email !== undefined)) {
      const { IsotypError } = await import('@isotyp/protocol');
      throw new IsotypError('ISOTYP_USAGE', 'Give the new user’s email once: as the argument, or with --email.', {
        hint: 'For example: isotyp users create ben@acme.test --role approver',
      });
    }
    const [{ createUser }, { connect }, { readStdin }] = await Promise.all([
      import('../../services/control-plane/users.js'),
      import('../../services/control-plane/connection.js'),
      import('../../services/control-plane/terminal.js'),
    ]);
    const password = flags['password-stdin'] ? await readStdin() : process.env.ISOTYP_NEW_USER_PASSWORD;
    const user = await createUser(connect({ server: flags.server }), {
      email,
      displayName: flags.name,
      roles: [...new Set(flags.role)] as User['grants'][number]['role'][],
      password: password === '' ? undefined : password,
    });
    this.log(`Created ${user.email} (${user.id}): ${user.grants.map((g) => g.role).join(', ')}.`);
    return user;
  }
}
