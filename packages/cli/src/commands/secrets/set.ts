import { readFileSync } from 'node:fs';
import { Args } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class SecretsSet extends IsotypCommand {
  static override summary = 'Store a secret (read from standard input) in the OS keychain or the encrypted vault.';
  static override description =
    'The value is read from standard input — never from the command line, where shell history and process lists would keep it — with one trailing newline removed. The OS keychain is used when a Secret Service answers; otherwise the encrypted file $ISOTYP_HOME/secrets.vault, keyed by ISOTYP_VAULT_KEY or the systemd credential isotyp-vault-key (ISOTYP_SECRETS_BACKEND=keychain|file decides explicitly). Target URLs then name it: postgres://app@db/prod?password=keychain:NAME.';
  static override examples = [
    {
      description: 'Store the production database password, then use it in a target URL.',
      command:
        'printf %s "$PROD_DB_PASSWORD" | <%= config.bin %> <%= command.id %> prod-db\n<%= config.bin %> inspect --target \'postgres://app@db.internal/prod?password=keychain:prod-db\'',
    },
  ];
  static override args = {
    name: Args.string({ description: 'Secret name (letters, digits, . _ -).', required: true }),
  };

  async run(): Promise<{ name: string; backend: string }> {
    const { args } = await this.parse(SecretsSet);
    const { secretStore } = await import('../../services/secrets.js');
    const { assertSecretName } = await import('@isotyp/agent');
    assertSecretName(args.name);
    const value = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    const { store } = await secretStore();
    await store.set(args.name, value);
    this.log(`Stored secret ${args.name} in ${store.location}.`);
    return { name: args.name, backend: store.backend };
  }
}
