import type { NewMigration } from '@isotyp/agent';
import { Args, Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class MigrateNew extends IsotypCommand {
  static override summary = 'Write the next versioned migration from the desired schema.';
  static override description =
    'Replays the existing migrations in a scratch database, diffs the result against --schema and writes <dir>/<UTC timestamp>_<name>.sql with its up and down SQL and the schema digests it moves between, then updates isotyp.sum, the hash chain over every migration file.';
  static override examples = [
    {
      description: 'Add a migration for the changes in schema.sql.',
      command: '<%= config.bin %> <%= command.id %> add_reviews --schema schema.sql --dialect sqlite',
    },
  ];
  static override args = {
    name: Args.string({ description: 'Migration name: lower case, digits, underscores.', required: true }),
  };
  static override flags = {
    schema: Flags.string({
      char: 's',
      summary: 'Desired state: a .sql file or a directory of .sql files.',
      required: true,
    }),
    dir: Flags.string({ summary: 'Migrations directory.', default: 'migrations' }),
    dialect: Flags.string({
      summary: 'Dialect of the migrations.',
      options: ['sqlite', 'postgres'],
      default: 'sqlite',
    }),
    'dev-url': Flags.string({ summary: 'PostgreSQL: a server (or empty database) to replay migrations in.' }),
    rename: Flags.string({
      summary: 'Treat a drop + add as a rename: table:OLD=NEW or column:TABLE.OLD=NEW.',
      multiple: true,
      default: [],
    }),
  };

  async run(): Promise<NewMigration> {
    const { args, flags } = await this.parse(MigrateNew);
    const { newMigrationFile } = await import('../../services/local.js');
    const result = await newMigrationFile({
      name: args.name,
      schema: flags.schema,
      dir: flags.dir,
      dialect: flags.dialect as 'sqlite' | 'postgres',
      devUrl: flags['dev-url'],
      renames: flags.rename,
    });
    this.log(
      result.file === null
        ? 'No changes: the migrations already produce the desired schema.'
        : `Wrote ${flags.dir}/${result.file} (${result.operations} operations) and updated ${flags.dir}/isotyp.sum.`,
    );
    return result;
  }
}
