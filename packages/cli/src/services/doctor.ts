import { isIsotypError } from '@isotyp/protocol';
import { isotypHome } from '../config.js';

/** One check of `isotyp doctor`. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** What was found, in a sentence. */
  detail: string;
  /** What to do about it, when it is not ok. */
  hint?: string;
}

export interface DoctorInput {
  /** A database to try (sqlite:… or postgres://…). */
  target?: string | undefined;
  /** The control plane to try (default: the signed-in session's, or ISOTYP_SERVER). */
  server?: string | undefined;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

const MIN_NODE = [20, 19] as const;
/** An agent certificate closer to its end than this is a warning (renewal runs at half-life). */
const CERT_WARN_MS = 6 * 3600 * 1000;

/**
 * Checks what Isotyp needs on this machine, each independently (one failing does not stop the
 * others): the Node version, the secret store (OS keychain or encrypted vault), the database
 * (when --target is given), the control plane (reachable and ready), and, on an agent host, the
 * agent's certificate expiry and its installation's signed release manifest. Nothing is
 * changed and no secret is shown.
 *
 * @example
 * const checks = await runDoctor({ target: 'sqlite:./app.db' });
 */
export async function runDoctor(input: DoctorInput = {}): Promise<Check[]> {
  const env = input.env ?? process.env;
  const now = input.now ?? new Date();
  return Promise.all([
    nodeCheck(),
    secretStoreCheck(env),
    databaseCheck(input.target),
    controlPlaneCheck(input.server, env),
    agentCheck(env, now),
  ]);
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { name: 'node', status: 'ok', detail: `Node ${process.versions.node}` }
    : {
        name: 'node',
        status: 'fail',
        detail: `Node ${process.versions.node} is older than ${MIN_NODE.join('.')}.`,
        hint: 'Install Node 20.19 or later (22 works too).',
      };
}

async function secretStoreCheck(env: NodeJS.ProcessEnv): Promise<Check> {
  try {
    const { openSecretStore } = await import('@isotyp/agent');
    const opened = await openSecretStore({ home: isotypHome(env), env });
    return opened.notice === undefined
      ? { name: 'secrets', status: 'ok', detail: 'The OS keychain answers (Secret Service).' }
      : { name: 'secrets', status: 'ok', detail: opened.notice };
  } catch (error) {
    return failure(
      'secrets',
      error,
      'Start a Secret Service (gnome-keyring), or set ISOTYP_VAULT_KEY for the encrypted vault.',
    );
  }
}

async function databaseCheck(target: string | undefined): Promise<Check> {
  if (target === undefined) return { name: 'database', status: 'skip', detail: 'No --target given.' };
  try {
    const { connectTarget, parseTargetUrl } = await import('@isotyp/agent');
    const connection = await connectTarget(target);
    try {
      const version = await connection.serverVersion();
      return {
        name: 'database',
        status: 'ok',
        detail: `${parseTargetUrl(target).display} answers (version ${version}).`,
      };
    } finally {
      await connection.close();
    }
  } catch (error) {
    return failure('database', error, 'Check the target URL and that the database accepts connections from here.');
  }
}

async function controlPlaneCheck(server: string | undefined, env: NodeJS.ProcessEnv): Promise<Check> {
  const { sessionFile } = await import('./control-plane/connection.js');
  let named = server ?? env.ISOTYP_SERVER;
  if (named === undefined || named === '') {
    try {
      named = sessionFile(env).read()?.server;
    } catch {
      named = undefined;
    }
  }
  if (named === undefined || named === '') {
    return {
      name: 'control plane',
      status: 'skip',
      detail: 'No control plane named (not signed in, no ISOTYP_SERVER).',
      hint: 'isotyp login --server URL … to use one.',
    };
  }
  try {
    const url = new URL('/readyz', named);
    const started = Date.now();
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const ms = Date.now() - started;
    if (response.ok) return { name: 'control plane', status: 'ok', detail: `${url.origin} is ready (${ms} ms).` };
    return {
      name: 'control plane',
      status: 'fail',
      detail: `${url.origin} answered ${response.status} on /readyz.`,
      hint: 'Its store may be unreachable; see the control plane’s log.',
    };
  } catch {
    return {
      name: 'control plane',
      status: 'fail',
      detail: `${named} could not be reached.`,
      hint: 'Check the URL, the network, and (over HTTPS) that this machine trusts its certificate (NODE_EXTRA_CA_CERTS).',
    };
  }
}

async function agentCheck(env: NodeJS.ProcessEnv, now: Date): Promise<Check> {
  const { readAgentState } = await import('./agent/enrolment.js');
  let state: ReturnType<typeof readAgentState>;
  try {
    state = readAgentState(env);
  } catch (error) {
    return failure('agent', error, 'Enrol again: isotyp agent enroll --force …');
  }
  if (state === undefined)
    return { name: 'agent', status: 'skip', detail: 'This machine is not enrolled as an agent.' };
  const left = Date.parse(state.certificateNotAfter) - now.getTime();
  const hours = Math.floor(left / 3600_000);
  if (left <= 0) {
    return {
      name: 'agent',
      status: 'fail',
      detail: `Agent ${state.agentId}: its certificate expired at ${state.certificateNotAfter}.`,
      hint: 'Renewal needs a valid certificate: enrol again with a new token (isotyp agent enroll --force).',
    };
  }
  if (left < CERT_WARN_MS) {
    return {
      name: 'agent',
      status: 'warn',
      detail: `Agent ${state.agentId}: its certificate ends in ${hours} h.`,
      hint: 'isotyp agent renew now, and check that isotyp agent start is running (it renews on its own).',
    };
  }
  return { name: 'agent', status: 'ok', detail: `Agent ${state.agentId}: certificate valid for ${hours} h more.` };
}

function failure(name: string, error: unknown, hint: string): Check {
  if (isIsotypError(error)) {
    return { name, status: 'fail', detail: `${error.message} [${error.code}]`, hint: error.hint ?? hint };
  }
  return { name, status: 'fail', detail: 'An unexpected error.', hint };
}
