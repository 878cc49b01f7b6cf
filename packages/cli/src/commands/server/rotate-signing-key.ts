import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class ServerRotateSigningKey extends IsotypCommand {
  static override summary =
    'Sign access tokens with a new key from now on; --revoke-previous refuses the old keys’ tokens at once.';
  static override description =
    'The control plane signs access tokens (EdDSA JWTs, at most 15 minutes) with a key in its database, and replaces it by itself every 30 days. This replaces it now. The old keys are retired: still published at /.well-known/jwks.json until the tokens they signed expire. With --revoke-previous (a key that may have leaked with a copy of the database) those tokens are refused at once, and clients get new ones with their refresh tokens. Safe while control planes run: they follow the key table and sign with the new key from their next token. Every organisation’s audit log records it (server.signing-key.rotate). The passphrase comes from ISOTYP_CA_PASSPHRASE, or the embedded default’s file.';
  static override examples = [
    {
      description: 'A new key; tokens already issued run out as usual.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'After a leak: old keys stop verifying now.',
      command:
        'ISOTYP_CA_PASSPHRASE=… <%= config.bin %> <%= command.id %> --db postgres://isotyp@db/isotyp --revoke-previous',
    },
  ];
  static override flags = {
    db: Flags.string({
      summary: 'Store: sqlite:<path> or postgres://… (password from PGPASSWORD).',
      default: 'sqlite:./isotyp-cp.db',
      env: 'ISOTYP_DB',
    }),
    'revoke-previous': Flags.boolean({
      summary: 'Refuse every token signed by an earlier key at once, rather than letting it expire.',
    }),
  };

  async run(): Promise<{ kid: string; retired: string[]; revoked: string[] }> {
    const { flags } = await this.parse(ServerRotateSigningKey);
    const { rotateServerSigningKey } = await import('../../services/server-maintenance.js');
    const result = await rotateServerSigningKey({ db: flags.db, revokePrevious: flags['revoke-previous'] });
    if (!this.jsonEnabled()) {
      this.log(`Access tokens are signed with key ${result.kid} from now on.`);
      if (result.revoked.length > 0) {
        this.log(`Revoked ${result.revoked.join(', ')}: tokens they signed are refused; clients refresh theirs.`);
      } else if (result.retired.length > 0) {
        this.log(`Retired ${result.retired.join(', ')}: tokens they signed still count until they expire (≤ 15 min).`);
      }
    }
    return result;
  }
}
