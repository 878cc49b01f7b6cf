import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Environment } from '../../services/control-plane/catalog.js';

export default class EnvsList extends IsotypCommand {
  static override summary = 'List the environments of a project.';
  static override description = 'Each environment with its privacy mode (what its change requests may carry).';
  static override examples = [
    { description: "A project's environments.", command: '<%= config.bin %> <%= command.id %> --project shop' },
  ];
  static override flags = {
    server: serverFlag,
    project: Flags.string({ char: 'p', summary: 'Project id or name.', required: true }),
  };

  async run(): Promise<Environment[]> {
    const { flags } = await this.parse(EnvsList);
    const [catalog, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const client = connect({ server: flags.server });
    const project = await catalog.resolveProject(client, flags.project);
    const environments = await catalog.listEnvironments(client, project.id);
    if (environments.length === 0) this.log(`${project.name} has no environments yet.`);
    else
      this.log(
        renderTable(environments, [
          { header: 'ID', value: (e) => e.id },
          { header: 'NAME', value: (e) => e.name },
          { header: 'PRIVACY', value: (e) => e.privacyMode },
          { header: 'CREATED', value: (e) => e.createdAt },
        ]),
      );
    return environments;
  }
}
