import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import type { LoginResult } from '../services/control-plane/auth.js';

export default class Login extends IsotypCommand {
  static override summary = 'Sign in to a control plane.';
  static override description =
    'With a password: --org and --email, the password from --password-stdin or ISOTYP_PASSWORD (or a hidden prompt on a terminal) — never from a flag, so it stays out of shell history. With --device: sign in through your identity provider in a browser (OIDC device flow). The session is saved to $ISOTYP_HOME/session.json (mode 0600); its access token is refreshed automatically.';
  static override examples = [
    {
      description: 'Sign in with a password piped from a secret manager.',
      command:
        'pass show isotyp | <%= config.bin %> <%= command.id %> --server https://isotyp.example.com --org acme --email ana@acme.test --password-stdin',
    },
    {
      description: 'Sign in through your identity provider.',
      command: '<%= config.bin %> <%= command.id %> --server https://isotyp.example.com --device',
    },
  ];
  static override flags = {
    server: serverFlag,
    org: Flags.string({ summary: 'Organisation id.', env: 'ISOTYP_ORG', exclusive: ['device'] }),
    email: Flags.string({ summary: 'Your email address.', env: 'ISOTYP_EMAIL', exclusive: ['device'] }),
    'password-stdin': Flags.boolean({ summary: 'Read the password from stdin.', exclusive: ['device'] }),
    device: Flags.boolean({ summary: 'Sign in in a browser through the OIDC device flow.' }),
  };

  async run(): Promise<LoginResult> {
    const { flags } = await this.parse(Login);
    const [{ IsotypError }, auth, { sessionFile }, terminal] = await Promise.all([
      import('@isotyp/protocol'),
      import('../services/control-plane/auth.js'),
      import('../services/control-plane/connection.js'),
      import('../services/control-plane/terminal.js'),
    ]);
    const file = sessionFile();
    const server = flags.server ?? file.read()?.server;
    if (server === undefined) {
      throw new IsotypError('ISOTYP_USAGE', 'Which control plane? Pass --server.', {
        hint: 'Example: isotyp login --server https://isotyp.example.com --device',
      });
    }
    let result: LoginResult;
    if (flags.device) {
      result = await auth.deviceLogin(server, file, {
        prompt: (start) => {
          this.logToStderr(`Open ${start.verificationUriComplete ?? start.verificationUri} in a browser`);
          this.logToStderr(`and enter the code ${start.userCode}. Waiting…`);
        },
      });
    } else {
      if (flags.org === undefined || flags.email === undefined) {
        throw new IsotypError('ISOTYP_USAGE', 'A password sign-in needs --org and --email.', {
          hint: 'Or sign in through your identity provider with --device.',
        });
      }
      const password = flags['password-stdin']
        ? await terminal.readStdin()
        : (process.env.ISOTYP_PASSWORD ??
          (process.stdin.isTTY ? await terminal.promptHidden('Password: ') : undefined));
      if (password === undefined || password === '') {
        throw new IsotypError('ISOTYP_USAGE', 'No password given.', {
          hint: 'Pipe it into --password-stdin, or set ISOTYP_PASSWORD.',
        });
      }
      result = await auth.passwordLogin({ server, org: flags.org, email: flags.email, password }, file);
    }
    this.log(`Signed in to ${result.server} as ${result.email || result.userId} (org ${result.org}).`);
    return result;
  }
}
