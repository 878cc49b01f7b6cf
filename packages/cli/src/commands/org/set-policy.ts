import type { PolicyLayer } from '@isotyp/protocol';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class OrgSetPolicy extends IsotypCommand {
  static override summary = 'Publish a new version of the approval policy.';
  static override description =
    'Reads the layers from a YAML or JSON file, checks every CEL condition, signs the policy with the org root key on this machine as the next version and publishes it. Changes submitted from then on are reviewed under it. Needs an admin and the org-root key.';
  static override examples = [
    {
      description: 'Publish policy.yaml, e.g. `layers: [{name: review, required: 2, role: approver}]`.',
      command: '<%= config.bin %> <%= command.id %> --file policy.yaml',
    },
  ];
  static override flags = {
    server: serverFlag,
    file: Flags.string({ char: 'f', summary: 'Policy file (YAML or JSON).', required: true }),
  };

  async run(): Promise<{ version: number; layers: PolicyLayer[] }> {
    const { flags } = await this.parse(OrgSetPolicy);
    const [{ setPolicy }, { connect, secretStore }] = await Promise.all([
      import('../../services/control-plane/org.js'),
      import('../../services/control-plane/connection.js'),
    ]);
    const policy = await setPolicy(connect({ server: flags.server }), secretStore(), flags.file);
    this.log(`Published policy v${policy.version}:`);
    for (const l of policy.layers) this.log(`  ${l.name}: ${l.required} × ${l.role}${l.when ? ` when ${l.when}` : ''}`);
    return policy;
  }
}
