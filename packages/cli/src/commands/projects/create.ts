import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { Project } from '../../services/control-plane/catalog.js';

export default class ProjectsCreate extends IsotypCommand {
  static override summary = 'Create a project.';
  static override description =
    'A project groups the environments (and their targets) of one application. Needs catalog:write.';
  static override examples = [
    { description: 'Create a project.', command: '<%= config.bin %> <%= command.id %> shop' },
  ];
  static override args = { name: Args.string({ description: 'Project name.', required: true }) };
  static override flags = { server: serverFlag };

  async run(): Promise<Project> {
    const { args, flags } = await this.parse(ProjectsCreate);
    const [{ createProject }, { connect }] = await Promise.all([
      import('../../services/control-plane/catalog.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const project = await createProject(connect({ server: flags.server }), args.name);
    this.log(`Created project ${project.name} (${project.id}).`);
    return project;
  }
}
