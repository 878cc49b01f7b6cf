import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { GeneratedKey } from '../../services/control-plane/keys.js';

export default class KeysGenerate extends IsotypCommand {
  static override summary = 'Create your approver key and register its public half.';
  static override description =
    'Creates an Ed25519 key in the local secret store ($ISOTYP_HOME/keys/approver.key, mode 0600) and registers the public key with the control plane, in an envelope the key signs itself. The private key never leaves this machine. An admin then adds it to the keyring with isotyp org sign-keyring.';
  static override examples = [
    { description: 'Create and register your key.', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Replace an existing key.', command: '<%= config.bin %> <%= command.id %> --force' },
  ];
  static override flags = {
    server: serverFlag,
    force: Flags.boolean({ summary: 'Replace an existing approver key (the old private key is lost).' }),
  };

  async run(): Promise<GeneratedKey & { path: string }> {
    const { flags } = await this.parse(KeysGenerate);
    const [{ generateApproverKey }, { connect, secretStore }] = await Promise.all([
      import('../../services/control-plane/keys.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const store = secretStore();
    const key = await generateApproverKey(connect({ server: flags.server }), store, { force: flags.force });
    const path = store.pathOf('approver');
    this.log(`${key.resumed ? 'Registered the existing' : 'Created and registered'} approver key ${key.keyId}.`);
    this.log(`Private key: ${path} (never sent). Ask an admin to run: isotyp org sign-keyring`);
    return { ...key, path };
  }
}
