import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class AgentRenew extends IsotypCommand {
  static override summary = 'Renew this agent’s client certificate (a new key, over mutual TLS with the current one).';
  static override description =
    'Renewal is due at about half the certificate’s life (±10% jitter, so a fleet does not renew at once); --if-due does nothing before then, for a timer to call. The control plane knows the agent by the new certificate only from then on. The daemon (isotyp agent start) does this on its own, with backoff on failure.';
  static override examples = [
    { description: 'From a timer.', command: '<%= config.bin %> <%= command.id %> --if-due' },
  ];
  static override flags = {
    'if-due': Flags.boolean({ summary: 'Renew only when renewal is due.' }),
  };

  async run(): Promise<{ renewed: boolean; certificateNotAfter: string; dueAt: string }> {
    const { flags } = await this.parse(AgentRenew);
    const { renewCertificate } = await import('../../services/agent/renewal.js');
    const result = await renewCertificate({ ifDue: flags['if-due'] });
    this.log(
      result.renewed
        ? `Renewed: the new certificate is valid until ${result.certificateNotAfter}; next renewal due about ${result.dueAt.toISOString()}.`
        : `Not due yet (due about ${result.dueAt.toISOString()}); the certificate is valid until ${result.certificateNotAfter}.`,
    );
    return { ...result, dueAt: result.dueAt.toISOString() };
  }
}
