import { IsotypCommand } from '../base-command.js';

export default class Logout extends IsotypCommand {
  static override summary = 'Sign out: revoke the session on the server and forget it here.';
  static override description =
    'Asks the control plane to revoke the refresh token, then deletes $ISOTYP_HOME/session.json. The file is deleted even when the server cannot be reached; the output then says the token was not revoked. CI tokens (ISOTYP_TOKEN) are revoked with isotyp tokens revoke instead.';
  static override examples = [{ description: 'Sign out.', command: '<%= config.bin %> <%= command.id %>' }];

  async run(): Promise<{ server: string | undefined; revoked: boolean; reason?: string }> {
    await this.parse(Logout);
    const [{ logout }, { sessionFile }] = await Promise.all([
      import('../services/control-plane/auth.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const result = await logout(sessionFile());
    if (result.server === undefined) this.log('You were not signed in.');
    else if (result.revoked) this.log(`Signed out of ${result.server}.`);
    else this.log(`Forgot the session for ${result.server}, but the server did not revoke it (${result.reason}).`);
    return result;
  }
}
