import { IsotypCommand } from '../../base-command.js';
import { envFlag, projectFlag, serverFlag } from '../../control-plane-flags.js';
import type { Target } from '../../services/control-plane/catalog.js';

export default class TargetsList extends IsotypCommand {
  static override summary = 'List target databases.';
  static override description = 'Targets you can see, with their schema version and digest as last reported.';
  static override examples = [
    {
      description: 'Targets of one environment.',
      command: '<%= config.bin %> <%= command.id %> --project shop --env prod',
    },
  ];
  static override flags = { server: serverFlag, project: projectFlag, env: envFlag };

  async run(): Promise<Target[]> {
    const { flags } = await this.parse(TargetsList);
    const [catalog, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const client = connect({ server: flags.server });
    let filter: { projectId?: string; environmentId?: string } = {};
    if (flags.env !== undefined) {
      const environment = await catalog.resolveEnvironment(client, flags.env, flags.project);
      filter = { projectId: environment.projectId, environmentId: environment.id };
    } else if (flags.project !== undefined)
      filter = { projectId: (await catalog.resolveProject(client, flags.project)).id };
    const targets = await catalog.listTargets(client, filter);
    if (targets.length === 0) this.log('No targets.');
    else
      this.log(
        renderTable(targets, [
          { header: 'ID', value: (t) => t.id },
          { header: 'NAME', value: (t) => t.name },
          { header: 'DIALECT', value: (t) => t.dialect },
          { header: 'ENVIRONMENT', value: (t) => t.environmentId },
          { header: 'VERSION', value: (t) => t.version ?? '-' },
        ]),
      );
    return targets;
  }
}
