import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';
import type { OrgInitResult } from '../../services/control-plane/org.js';

export default class OrgInit extends IsotypCommand {
  static override summary = "Set up your organisation's trust: root key, keyring v1, policy v1.";
  static override description =
    'Creates the org root key in the local secret store ($ISOTYP_HOME/keys/org-root.key) and registers its public half; signs keyring v1 from the registered approver keys (each with its owner\'s organisation-wide roles) and policy v1 from --policy (YAML or JSON) or the built-in one: layer "review" (1 approver) for every change, layer "dba" (1 dba) when data may be lost or the bump is major. Agents pin the root key: keep it offline and backed up. Steps an earlier run finished are kept, so it can be re-run. Needs an admin.';
  static override examples = [
    { description: 'With the built-in policy.', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'With your own policy.', command: '<%= config.bin %> <%= command.id %> --policy policy.yaml' },
  ];
  static override flags = {
    server: serverFlag,
    policy: Flags.string({ summary: 'Policy file (YAML or JSON): layers and optionally maxApprovalSeconds.' }),
    force: Flags.boolean({ summary: 'Replace an org-root key on this machine that was never registered.' }),
  };

  async run(): Promise<OrgInitResult> {
    const { flags } = await this.parse(OrgInit);
    const [{ initOrg }, { connect, secretStore }] = await Promise.all([
      import('../../services/control-plane/org.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const store = secretStore();
    const result = await initOrg(connect({ server: flags.server }), store, {
      policyFile: flags.policy,
      force: flags.force,
    });
    const { root, keyring, policy } = result;
    this.log(`Org ${result.org}: root key ${root.keyId} ${root.registered ? 'registered' : '(already registered)'}.`);
    this.log(`  public key ${root.publicKey} — agents pin this at enrolment.`);
    if ('existing' in keyring) this.log(`  keyring v${keyring.version} already published.`);
    else {
      this.log(`  keyring v${keyring.version}: ${keyring.keys.length} key(s).`);
      if (keyring.keys.length === 0)
        this.log('  No approver keys yet: approvers run isotyp keys generate, then isotyp org sign-keyring.');
      for (const s of keyring.skipped)
        this.log(`  left out ${s.keyId} (user ${s.userId} has no organisation-wide role)`);
    }
    if ('existing' in policy) this.log(`  policy v${policy.version} already published.`);
    else this.log(`  policy v${policy.version}: layers ${policy.layers.map((l) => l.name).join(', ')}.`);
    if (root.created) this.log(`\nBack up ${store.pathOf('org-root')} offline now: it cannot be recovered.`);
    return result;
  }
}
