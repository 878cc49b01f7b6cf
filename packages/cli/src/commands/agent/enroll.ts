import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import type { AgentState } from '../../services/agent/enrolment.js';

export default class AgentEnroll extends IsotypCommand {
  static override summary = 'Enrol this machine as an agent: an identity, a client certificate, pinned trust.';
  static override description =
    'Makes this machine’s Ed25519 identity and its TLS key (both stay here, 0600 in $ISOTYP_HOME/agent), redeems the one-time enrolment token for a client certificate bound to the new agent’s id, and pins the CA certificate and the organisation’s root key that the control plane answers with. The token comes from an admin (isotyp agents token NAME), lives at most 30 minutes and works once; pass it in ISOTYP_ENROLMENT_TOKEN rather than on the command line where you can.';
  static override examples = [
    {
      description: 'Enrol with a token from the admin.',
      command:
        'ISOTYP_ENROLMENT_TOKEN=isotyp_enrol_… <%= config.bin %> <%= command.id %> --url https://isotyp.example.com',
    },
  ];
  static override flags = {
    url: Flags.string({ summary: 'The control plane’s URL.', required: true, env: 'ISOTYP_SERVER' }),
    token: Flags.string({ summary: 'The one-time enrolment token.', required: true, env: 'ISOTYP_ENROLMENT_TOKEN' }),
    'ca-fingerprint': Flags.string({
      summary: 'SHA-256 fingerprint of the control plane’s CA, from isotyp agents token (required over https).',
      env: 'ISOTYP_CA_FINGERPRINT',
    }),
    force: Flags.boolean({ summary: 'Enrol again, replacing this machine’s identity.' }),
  };

  async run(): Promise<AgentState> {
    const { flags } = await this.parse(AgentEnroll);
    const { enrollAgent } = await import('../../services/agent/enrolment.js');
    const state = await enrollAgent({
      url: flags.url,
      token: flags.token,
      caFingerprint: flags['ca-fingerprint'],
      force: flags.force,
    });
    this.log(`Enrolled agent ${state.name} (${state.agentId}) in organisation ${state.orgId}.`);
    this.log(`Client certificate valid until ${state.certificateNotAfter}; CA ${state.caFingerprint} pinned.`);
    this.log(
      state.orgRoot === null
        ? 'The organisation has no root key yet (isotyp org init): none pinned.'
        : `Org root ${state.orgRoot.keyId} pinned.`,
    );
    return state;
  }
}
