import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { projectFlag, requiredEnvFlag, serverFlag } from '../../control-plane-flags.js';
import type { CreatedCiToken } from '../../services/control-plane/tokens.js';

export default class TokensCreate extends IsotypCommand {
  static override summary = 'Create a CI token scoped to one environment.';
  static override description =
    'The token may only do the given actions (submit, apply, read) in one environment of one project. Its secret is printed once: store it in your CI secret store as ISOTYP_TOKEN. Needs tokens:manage (an admin).';
  static override examples = [
    {
      description: 'A token that applies approved changes to prod.',
      command: '<%= config.bin %> <%= command.id %> --name deploy-prod --project shop --env prod --actions apply,read',
    },
  ];
  static override flags = {
    server: serverFlag,
    name: Flags.string({ summary: 'A name to recognise the token by.', required: true }),
    project: projectFlag,
    env: requiredEnvFlag,
    actions: Flags.string({
      summary: 'Comma-separated: submit, apply, read.',
      required: true,
      delimiter: ',',
      multiple: true,
      options: ['submit', 'apply', 'read'],
    }),
    'expires-in-days': Flags.integer({ summary: 'Days until the token expires (default: until revoked).', min: 1 }),
  };

  async run(): Promise<CreatedCiToken> {
    const { flags } = await this.parse(TokensCreate);
    const [{ createToken }, { connect }] = await Promise.all([
      import('../../services/control-plane/tokens.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const created = await createToken(connect({ server: flags.server }), {
      name: flags.name,
      project: flags.project,
      env: flags.env,
      actions: [...new Set(flags.actions)] as CreatedCiToken['actions'],
      expiresInDays: flags['expires-in-days'],
    });
    this.log(`Created CI token ${created.id} (${created.name}): ${created.actions.join(', ')}.`);
    this.log(`\n  ${created.token}\n`);
    this.log('This is the only time the secret is shown. Store it as ISOTYP_TOKEN in your CI secret store.');
    return created;
  }
}
