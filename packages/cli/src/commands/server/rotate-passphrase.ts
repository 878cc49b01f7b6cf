import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class ServerRotatePassphrase extends IsotypCommand {
  static override summary = 'Move the control plane’s secrets at rest to a new server passphrase.';
  static override description =
    'The server passphrase (ISOTYP_CA_PASSPHRASE) encrypts the agent CA’s key and seals the JWT signing keys, webhook secrets, the audit log key and stored answers in the database. This re-encrypts all of them under a new passphrase in one transaction, with every control plane on the database stopped (it refuses while one is connected). The current passphrase comes from ISOTYP_CA_PASSPHRASE; the new one from stdin (--new-passphrase-stdin) or ISOTYP_NEW_CA_PASSPHRASE. On the embedded default (a SQLite file with its passphrase file beside it) a new passphrase is made and the file replaced when none is given. Every organisation’s audit log records the rotation (server.passphrase.rotate). Then start the control plane with the new passphrase.';
  static override examples = [
    {
      description: 'The embedded default: a fresh random passphrase, written to ./isotyp-cp.db.ca-passphrase.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'PostgreSQL, with the new passphrase from your secret store.',
      command:
        'vault kv get -field=new isotyp/ca | ISOTYP_CA_PASSPHRASE=… <%= config.bin %> <%= command.id %> --db postgres://isotyp@db/isotyp --new-passphrase-stdin',
    },
  ];
  static override flags = {
    db: Flags.string({
      summary: 'Store: sqlite:<path> or postgres://… (password from PGPASSWORD).',
      default: 'sqlite:./isotyp-cp.db',
      env: 'ISOTYP_DB',
    }),
    'new-passphrase-stdin': Flags.boolean({
      summary: 'Read the new passphrase (at least 16 characters) from stdin.',
    }),
  };

  async run(): Promise<{
    authorities: number;
    secrets: number;
    passphraseFile?: string;
    finishedEarlierRun?: boolean;
  }> {
    const { flags } = await this.parse(ServerRotatePassphrase);
    const { rotateServerPassphrase } = await import('../../services/server-maintenance.js');
    const result = await rotateServerPassphrase({ db: flags.db, newPassphraseStdin: flags['new-passphrase-stdin'] });
    if (!this.jsonEnabled()) {
      const where =
        result.passphraseFile === undefined
          ? 'Start every control plane with the new ISOTYP_CA_PASSPHRASE.'
          : `${result.passphraseFile} holds the new passphrase; start the server as before.`;
      this.log(
        result.finishedEarlierRun
          ? `Finished an earlier change of the passphrase. ${where}`
          : `Moved ${plural(result.authorities, 'CA key')} and ${plural(result.secrets, 'sealed value')} to the new passphrase. ${where}`,
      );
    }
    return result;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
