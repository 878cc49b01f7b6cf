import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class SecretsGet extends IsotypCommand {
  static override summary = 'Print a stored secret (for scripts that need it in a variable).';
  static override description =
    'Prints the value alone on standard output (with --json: {"name","backend","value"}). A missing secret is ISOTYP_NOT_FOUND (exit 66).';
  static override examples = [
    { description: 'Into a variable.', command: 'PGPASSWORD="$(<%= config.bin %> <%= command.id %> prod-db)"' },
  ];
  static override args = { name: Args.string({ description: 'Secret name.', required: true }) };

  async run(): Promise<{ name: string; backend: string; value: string }> {
    const { args } = await this.parse(SecretsGet);
    const [{ secretStore }, { IsotypError }] = await Promise.all([
      import('../../services/secrets.js'),
      import('@isotyp/protocol'),
    ]);
    const { store } = await secretStore();
    const value = await store.get(args.name);
    if (value === undefined) {
      throw new IsotypError('ISOTYP_NOT_FOUND', `No secret "${args.name}" in ${store.location}.`, {
        hint: `Store it with: isotyp secrets set ${args.name}`,
      });
    }
    this.log(value);
    return { name: args.name, backend: store.backend, value };
  }
}
