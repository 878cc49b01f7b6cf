import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Environment } from '../../services/control-plane/catalog.js';

export default class EnvsCreate extends IsotypCommand {
  static override summary = 'Create an environment in a project.';
  static override description =
    'The privacy mode decides what a change request may carry to the control plane: digest (counts and risk classes only), structure (plus object names; the default) or full (plus the DDL). Row data and credentials never leave in any mode.';
  static override examples = [
    {
      description: 'A production environment that shares digests only.',
      command: '<%= config.bin %> <%= command.id %> prod --project shop --privacy-mode digest',
    },
  ];
  static override args = { name: Args.string({ description: 'Environment name.', required: true }) };
  static override flags = {
    server: serverFlag,
    project: Flags.string({ char: 'p', summary: 'Project id or name.', required: true }),
    'privacy-mode': Flags.string({
      summary: 'What change requests may carry: digest, structure or full.',
      options: ['digest', 'structure', 'full'],
      default: 'structure',
    }),
  };

  async run(): Promise<Environment> {
    const { args, flags } = await this.parse(EnvsCreate);
    const [catalog, { connect }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const client = connect({ server: flags.server });
    const project = await catalog.resolveProject(client, flags.project);
    const environment = await catalog.createEnvironment(client, {
      projectId: project.id,
      name: args.name,
      privacyMode: flags['privacy-mode'] as Environment['privacyMode'],
    });
    this.log(
      `Created environment ${environment.name} (${environment.id}) in ${project.name}, privacy ${environment.privacyMode}.`,
    );
    return environment;
  }
}
