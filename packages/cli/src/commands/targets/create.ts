import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { projectFlag, requiredEnvFlag, serverFlag } from '../../control-plane-flags.js';
import type { Target } from '../../services/control-plane/catalog.js';

export default class TargetsCreate extends IsotypCommand {
  static override summary = 'Register a target database in an environment.';
  static override description =
    'A target is one database, managed by an agent at its site. Only its name and dialect are stored here: never its URL or credentials.';
  static override examples = [
    {
      description: 'A PostgreSQL database in prod.',
      command: '<%= config.bin %> <%= command.id %> orders-db --project shop --env prod --dialect postgres',
    },
  ];
  static override args = { name: Args.string({ description: 'Target name.', required: true }) };
  static override flags = {
    server: serverFlag,
    project: projectFlag,
    env: requiredEnvFlag,
    dialect: Flags.string({ summary: 'Database dialect.', options: ['sqlite', 'postgres'], required: true }),
  };

  async run(): Promise<Target> {
    const { args, flags } = await this.parse(TargetsCreate);
    const [catalog, { connect }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const client = connect({ server: flags.server });
    const environment = await catalog.resolveEnvironment(client, flags.env, flags.project);
    const target = await catalog.createTarget(client, {
      environmentId: environment.id,
      name: args.name,
      dialect: flags.dialect as Target['dialect'],
    });
    this.log(`Created target ${target.name} (${target.id}, ${target.dialect}) in environment ${environment.name}.`);
    return target;
  }
}
