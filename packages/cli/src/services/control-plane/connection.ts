import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { isotypHome } from '../../config.js';
import { ControlPlaneClient } from './client.js';
import { FileSecretStore, type SecretStore } from './keystore.js';
import { normalizeServer, SessionFile } from './session.js';

/**
 * Where the CLI's control-plane settings come from, read in this one place:
 * - the server: `--server` (oclif fills it from ISOTYP_SERVER), else the saved session's;
 * - credentials: ISOTYP_TOKEN (a CI token, no session file needed), else the session.
 */
export interface ConnectOptions {
  server?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export function sessionFile(env: NodeJS.ProcessEnv = process.env): SessionFile {
  return new SessionFile(isotypHome(env));
}

/** The secret store for private keys: `$ISOTYP_HOME/keys`. */
export function secretStore(env: NodeJS.ProcessEnv = process.env): SecretStore & FileSecretStore {
  return new FileSecretStore(join(isotypHome(env), 'keys'));
}

/**
 * A client with credentials: a CI token from ISOTYP_TOKEN, or the signed-in session for the
 * chosen server. Without either it is ISOTYP_NOT_SIGNED_IN with the command to run.
 *
 * @example
 * const client = connect({ server: flags.server });
 */
export function connect(options: ConnectOptions = {}): ControlPlaneClient {
  const env = options.env ?? process.env;
  const file = sessionFile(env);
  const token = env.ISOTYP_TOKEN;
  if (token !== undefined && token !== '') {
    const server = options.server ?? file.read()?.server;
    if (server === undefined) {
      throw new IsotypError('ISOTYP_CONFIG_INVALID', 'ISOTYP_TOKEN is set but no control plane is named.', {
        hint: 'Set ISOTYP_SERVER (or pass --server) to the control plane URL.',
      });
    }
    return new ControlPlaneClient({ server: normalizeServer(server), credentials: { kind: 'token', token } });
  }
  const session = file.read();
  const server = options.server === undefined ? session?.server : normalizeServer(options.server);
  if (session === undefined || server === undefined) {
    throw new IsotypError('ISOTYP_NOT_SIGNED_IN', 'You are not signed in to a control plane.', {
      hint: `Sign in with: isotyp login --server ${server ?? 'https://…'} --org ORG --email EMAIL --password-stdin (or --device).`,
    });
  }
  if (session.server !== server) {
    throw new IsotypError('ISOTYP_NOT_SIGNED_IN', `You are signed in to ${session.server}, not ${server}.`, {
      hint: `Sign in to it with: isotyp login --server ${server} (this replaces the current session).`,
    });
  }
  return new ControlPlaneClient({ server, credentials: { kind: 'session', session, file } });
}

/** A client without credentials, for signing in. */
export function anonymous(server: string): ControlPlaneClient {
  return new ControlPlaneClient({ server: normalizeServer(server) });
}
