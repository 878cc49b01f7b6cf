import { IsotypCommand } from '../../base-command.js';

export default class AgentVerify extends IsotypCommand {
  static override summary = 'Check the installed files against the signed release manifest.';
  static override description =
    'Every file the agent runs must be listed, with its SHA-256, in release-manifest.json, and the manifest must be signed by a trusted release key (release-keys.json, or ISOTYP_RELEASE_KEYS for a development build). isotyp agent start runs the same check and refuses to start on a mismatch unless given --skip-verify.';
  static override examples = [
    { description: 'Check this installation.', command: '<%= config.bin %> <%= command.id %>' },
  ];

  async run(): Promise<{ version: string; channel: string; signer: string; files: number }> {
    await this.parse(AgentVerify);
    const { verifyThisInstallation } = await import('../../services/agent/verify.js');
    const check = verifyThisInstallation();
    this.log(`Verified ${check.files} files of isotyp ${check.version} (${check.channel}), signed by ${check.signer}.`);
    return check;
  }
}
