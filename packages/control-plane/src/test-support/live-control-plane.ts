import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Dialect,
  type Ed25519KeyPair,
  encodePublicKey,
  generateKeyPair,
  KEY_REGISTRATION_ENVELOPE_TYPE,
  keyId,
  ORG_ROOT_ENVELOPE_TYPE,
  type Policy,
  type PrivacyMode,
  sealEnvelope,
  sealKeyring,
  sealPolicy,
} from '@isotyp/protocol';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { type ControlPlaneConfig, defaultConfig, resolveConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { type RunningControlPlane, runControlPlane } from '../main.js';
import type { TargetRef } from './changes.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';
/** Encrypts the test control plane's agent CA key. */
export const CA_PASSPHRASE = 'test-ca-passphrase-0f3b2a91';

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  body: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Defaults to a fresh key on POST; `null` sends none. */
  idempotencyKey?: string | null;
  headers?: Record<string, string>;
  /** Raw body text instead of JSON.stringify(body). */
  raw?: string;
}

export interface Person {
  email: string;
  userId: string;
  token: string;
  key: Ed25519KeyPair;
  keyId: string;
}

/**
 * The control plane as `isotyp server start` runs it — the composition root, a real store
 * (`sqlite:` file or a PostgreSQL database), real HTTP on a loopback port — with organisation
 * `acme` bootstrapped, plus helpers that speak the API the way the CLI does.
 */
export async function liveControlPlane(
  database?: string,
  options: {
    tls?: boolean;
    caOverlapSeconds?: number;
    tracing?: ControlPlaneConfig['tracing'];
    webhooks?: Partial<ControlPlaneConfig['webhooks']>;
    rateLimit?: ControlPlaneConfig['rateLimit'];
    nats?: ControlPlaneConfig['nats'];
  } = {},
): Promise<LiveControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-cp-'));
  const config = resolveConfig({
    ...(options.tls ? { tls: true } : {}),
    ...(options.caOverlapSeconds === undefined ? {} : { caOverlapSeconds: options.caOverlapSeconds }),
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
    ...(options.nats === undefined ? {} : { nats: options.nats }),
    ...(options.webhooks === undefined ? {} : { webhooks: { ...defaultConfig.webhooks, ...options.webhooks } }),
    database: database ?? `sqlite:${join(dir, 'cp.db')}`,
    port: 0,
    publicUrl: 'http://127.0.0.1:7300',
    rateLimit: options.rateLimit ?? { perIp: 100_000, perPrincipal: 100_000, windowSeconds: 60 },
    // Tests on a busy machine must not be shed; load-shedding.test.ts covers it.
    latencyBudgetMs: 0,
    caPassphrase: CA_PASSPHRASE,
  });
  const running = await runControlPlane({
    config,
    logger: createLogger({ level: 'silent' }),
    firstAdmin: { orgId: 'acme', orgName: 'Acme', email: 'admin@acme.test', password: ADMIN_PASSWORD },
  });
  const live = new LiveControlPlane(running, dir);
  if (options.tls) live.trust((await running.store.authorities.active())?.certificatePem ?? '');
  return live;
}

export class LiveControlPlane {
  constructor(
    readonly server: RunningControlPlane,
    private readonly dir: string,
  ) {}

  get url(): string {
    return this.server.url;
  }

  #dispatcher: UndiciAgent | undefined;
  /** Projects made by `target`, which names each one apart. */
  #projects = 0;

  /** Calls over HTTPS trust this CA certificate (the control plane's own). */
  trust(caPem: string): void {
    this.#dispatcher = new UndiciAgent({ connect: { ca: caPem } });
  }

  /** The SQLite file of a control plane started without a database URL. */
  get databaseFile(): string {
    return join(this.dir, 'cp.db');
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const key =
      options.idempotencyKey === undefined ? (method === 'POST' ? randomUUID() : null) : options.idempotencyKey;
    if (key !== null) headers['idempotency-key'] = key;
    const init = { method, headers, ...(body === undefined ? {} : { body }) };
    // Over HTTPS the server's certificate is from its own CA: undici's fetch, trusting that CA.
    const response = (
      this.#dispatcher === undefined
        ? await fetch(`${this.url}${path}`, init)
        : await undiciFetch(`${this.url}${path}`, { ...init, dispatcher: this.#dispatcher })
    ) as Response;
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (the Prometheus text of /metrics): keep the text.
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** Like `call`, but throws unless the answer is 2xx. */
  async ok(method: string, path: string, options: CallOptions = {}): Promise<Answer['body']> {
    const answer = await this.call(method, path, options);
    if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async login(email: string, password = ADMIN_PASSWORD, org = 'acme'): Promise<string> {
    const body = await this.ok('POST', '/v1/auth/login', { body: { org, email, password }, idempotencyKey: null });
    return body.accessToken as string;
  }

  /** Creates a user with org-wide roles, signs them in and registers an approver key for them. */
  async person(adminToken: string, email: string, roles: string[]): Promise<Person> {
    const user = await this.ok('POST', '/v1/users', {
      token: adminToken,
      body: {
        email,
        displayName: email.split('@')[0],
        password: ADMIN_PASSWORD,
        grants: roles.map((role) => ({ role, scope: { kind: 'org' } })),
      },
    });
    const token = await this.login(email);
    const key = generateKeyPair();
    const id = keyId(key.publicKey);
    const envelope = sealEnvelope({
      type: KEY_REGISTRATION_ENVELOPE_TYPE,
      payload: { org: 'acme', userId: user.id, keyId: id, publicKey: encodePublicKey(key.publicKey) },
      secretKey: key.secretKey,
    });
    await this.ok('POST', '/v1/keys', { token, body: { envelope } });
    return { email, userId: user.id as string, token, key, keyId: id };
  }

  /** `isotyp org init`: the root key, keyring v1 naming `people` with their roles, and `policy`. */
  async initTrust(
    adminToken: string,
    people: { person: Person; roles: string[] }[],
    layers: Policy['layers'],
  ): Promise<Ed25519KeyPair> {
    const root = generateKeyPair();
    const rootPayload = { org: 'acme', keyId: keyId(root.publicKey), publicKey: encodePublicKey(root.publicKey) };
    await this.ok('POST', '/v1/trust/root', {
      token: adminToken,
      body: {
        envelope: sealEnvelope({ type: ORG_ROOT_ENVELOPE_TYPE, payload: rootPayload, secretKey: root.secretKey }),
      },
    });
    const keyring = {
      org: 'acme',
      version: 1,
      keys: people.map(({ person, roles }) => ({
        keyId: person.keyId,
        publicKey: encodePublicKey(person.key.publicKey),
        userId: person.userId,
        roles,
      })),
    };
    await this.ok('POST', '/v1/trust/keyring', {
      token: adminToken,
      body: { envelope: sealKeyring(keyring as never, root.secretKey) },
    });
    await this.ok('POST', '/v1/trust/policy', {
      token: adminToken,
      body: { envelope: sealPolicy({ org: 'acme', version: 1, layers }, root.secretKey) },
    });
    return root;
  }

  /**
   * A project with one environment `prod` and one target in it, as an admin creates them: `shop`
   * the first time, then `shop-2`, `shop-3`… (a name finds one project in an organisation).
   */
  async target(
    adminToken: string,
    options: { privacyMode?: PrivacyMode; dialect?: Dialect; name?: string } = {},
  ): Promise<TargetRef> {
    this.#projects += 1;
    const name = this.#projects === 1 ? 'shop' : `shop-${this.#projects}`;
    const project = await this.ok('POST', '/v1/projects', { token: adminToken, body: { name } });
    const env = await this.ok('POST', `/v1/projects/${project.id}/environments`, {
      token: adminToken,
      body: { name: 'prod', privacyMode: options.privacyMode ?? 'structure' },
    });
    const target = await this.ok('POST', '/v1/targets', {
      token: adminToken,
      body: { environmentId: env.id, name: options.name ?? 'orders-db', dialect: options.dialect ?? 'postgres' },
    });
    return { projectId: project.id, environmentId: env.id, targetId: target.id };
  }

  async close(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
