import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class SecretsRm extends IsotypCommand {
  static override summary = 'Remove a stored secret.';
  static override description =
    'Removing a secret that does not exist is not an error; --json says whether it existed.';
  static override examples = [
    { description: 'Forget a password.', command: '<%= config.bin %> <%= command.id %> prod-db' },
  ];
  static override args = { name: Args.string({ description: 'Secret name.', required: true }) };

  async run(): Promise<{ name: string; removed: boolean }> {
    const { args } = await this.parse(SecretsRm);
    const { secretStore } = await import('../../services/secrets.js');
    const { store } = await secretStore();
    const removed = await store.delete(args.name);
    this.log(removed ? `Removed secret ${args.name}.` : `There was no secret ${args.name}.`);
    return { name: args.name, removed };
  }
}
