import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Project } from '../../services/control-plane/catalog.js';

export default class ProjectsList extends IsotypCommand {
  static override summary = 'List the projects you can see.';
  static override description = 'Projects of your organisation that your grants let you read.';
  static override examples = [{ description: 'All projects.', command: '<%= config.bin %> <%= command.id %>' }];
  static override flags = { server: serverFlag };

  async run(): Promise<Project[]> {
    const { flags } = await this.parse(ProjectsList);
    const [{ listProjects }, { connect }, { renderTable }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
      import('../../ui/table.js'),
    ]);
    const projects = await listProjects(connect({ server: flags.server }));
    if (projects.length === 0) this.log('No projects yet. Create one with: isotyp projects create NAME');
    else
      this.log(
        renderTable(projects, [
          { header: 'ID', value: (p) => p.id },
          { header: 'NAME', value: (p) => p.name },
          { header: 'CREATED', value: (p) => p.createdAt },
        ]),
      );
    return projects;
  }
}
