import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { KeyringSummary } from '../../services/control-plane/org.js';

export default class OrgSignKeyring extends IsotypCommand {
  static override summary = 'Re-sign the approver keyring from the keys registered now.';
  static override description =
    "Builds the next keyring version from every registered, unrevoked approver key, each with its owner's organisation-wide roles, signs it with the org root key on this machine and publishes it. Run it after an approver runs isotyp keys generate or a role changes. Needs an admin and the org-root key.";
  static override examples = [
    { description: 'Publish the next keyring.', command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override flags = { server: serverFlag };

  async run(): Promise<KeyringSummary> {
    const { flags } = await this.parse(OrgSignKeyring);
    const [{ signKeyring }, { connect, secretStore }] = await Promise.all([
      import('../../services/control-plane/org.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const keyring = await signKeyring(connect({ server: flags.server }), secretStore());
    this.log(`Published keyring v${keyring.version} with ${keyring.keys.length} key(s):`);
    for (const k of keyring.keys) this.log(`  ${k.keyId}  user ${k.userId}  ${k.roles.join(', ')}`);
    for (const s of keyring.skipped) {
      this.log(`  left out ${s.keyId} (user ${s.userId} is disabled or has no organisation-wide role)`);
    }
    return keyring;
  }
}
