import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ControlPlaneConfig,
  createLogger,
  type RunningControlPlane,
  resolveConfig,
  runControlPlane,
  type Store,
} from '@isotyp/control-plane';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';

export interface LiveOptions {
  /** The organisation and its first admin, created on the empty store. */
  org: string;
  admin: { email: string; password: string };
  /** Sign-in through an OpenID provider (then the provider may be plain HTTP on loopback). */
  oidc?: NonNullable<ControlPlaneConfig['oidc']>;
  /** The public URL (token issuer); an OIDC client registers its callback under it. */
  publicUrl?: string;
  /** Serve HTTPS (certificate from the agent CA) and accept agents' client certificates. */
  tls?: boolean;
  /** Send OpenTelemetry traces (see ControlPlaneConfig.tracing). */
  tracing?: ControlPlaneConfig['tracing'];
  /** Webhook delivery settings (see ControlPlaneConfig.webhooks). */
  webhooks?: ControlPlaneConfig['webhooks'];
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  body: any;
}

export interface Grant {
  role: string;
  scope: { kind: 'org' } | { kind: 'project'; projectId: string };
}

/**
 * The real control plane as `isotyp server start` runs it — `runControlPlane` with a SQLite
 * store in a temp directory and real HTTP on a loopback port — for the CLI's tests. Its clock
 * is the real one plus an offset a test can move forward (`advance`), so access tokens expire
 * without sleeping. `call` speaks the API directly, for setting up people and for checking what
 * the CLI did from the server's side.
 *
 * @example
 * const cp = await startLiveControlPlane({ org: 'acme', admin: { email: 'ana@acme.test', password } });
 * const admin = await cp.login('ana@acme.test', password);
 * await cp.close();
 */
export async function startLiveControlPlane(options: LiveOptions): Promise<LiveControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-cli-cp-'));
  let offsetMs = 0;
  const config = resolveConfig({
    database: `sqlite:${join(dir, 'cp.db')}`,
    port: 0,
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:7300',
    rateLimit: { perIp: 100_000, perPrincipal: 100_000, windowSeconds: 60 },
    // Tests on a busy machine must not be shed; load-shedding.test.ts covers it.
    latencyBudgetMs: 0,
    // Agents enrol against it: the CA key is encrypted under this test passphrase.
    caPassphrase: 'cli-test-ca-passphrase-7a1e',
    ...(options.tls ? { tls: true } : {}),
    ...(options.oidc === undefined ? {} : { oidc: options.oidc }),
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  try {
    const running = await runControlPlane({
      config,
      logger: createLogger({ level: 'silent' }),
      firstAdmin: { orgId: options.org, orgName: options.org, ...options.admin },
      now: () => new Date(Date.now() + offsetMs),
      ...(options.oidc === undefined ? {} : { allowInsecureIdp: true }),
    });
    const live = new LiveControlPlane(running, options.org, dir, (ms) => {
      offsetMs += ms;
    });
    if (options.tls) live.trust((await running.store.authorities.active())?.certificatePem ?? '');
    return live;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export class LiveControlPlane {
  readonly #running: RunningControlPlane;
  readonly #dir: string;
  readonly #advance: (ms: number) => void;
  readonly org: string;

  constructor(running: RunningControlPlane, org: string, dir: string, advance: (ms: number) => void) {
    this.#running = running;
    this.org = org;
    this.#dir = dir;
    this.#advance = advance;
  }

  get url(): string {
    return this.#running.url;
  }

  #dispatcher: UndiciAgent | undefined;

  /** Calls over HTTPS trust this CA certificate (the control plane's own). */
  trust(caPem: string): void {
    this.#dispatcher = new UndiciAgent({ connect: { ca: caPem } });
  }

  /** The open store, to check from the server's side what a command left there. */
  get store(): Store {
    return this.#running.store;
  }

  /** Moves the server's clock forward (access tokens last 15 minutes). */
  advance(ms: number): void {
    this.#advance(ms);
  }

  /** One JSON request; writes carry a fresh Idempotency-Key, as the server requires. */
  async call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['idempotency-key'] = randomUUID();
    const init = { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) };
    // Over HTTPS the certificate is from the control plane's own CA: undici's fetch, trusting it.
    const response = (
      this.#dispatcher === undefined
        ? await fetch(`${this.url}${path}`, init)
        : await undiciFetch(`${this.url}${path}`, { ...init, dispatcher: this.#dispatcher })
    ) as Response;
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  /** Like `call`, but throws unless the answer is 2xx. */
  async ok(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer['body']> {
    const answer = await this.call(method, path, options);
    if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Signs in with a password; the token pair. */
  async signIn(email: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
    return this.ok('POST', '/v1/auth/login', { body: { org: this.org, email, password } });
  }

  /** Signs in with a password; the access token. */
  async login(email: string, password: string): Promise<string> {
    return (await this.signIn(email, password)).accessToken;
  }

  /** Adds a person with a password and grants (as an admin does); their server-made user id. */
  async createUser(adminToken: string, user: { email: string; password: string; grants: Grant[] }): Promise<string> {
    const created = await this.ok('POST', '/v1/users', {
      token: adminToken,
      body: { ...user, displayName: user.email.split('@')[0] },
    });
    return created.id as string;
  }

  /** Whether the server still honours a refresh token (trying it spends it). */
  async refreshStatus(refreshToken: string): Promise<number> {
    return (await this.call('POST', '/v1/auth/refresh', { body: { refreshToken } })).status;
  }

  async close(): Promise<void> {
    await this.#running.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
