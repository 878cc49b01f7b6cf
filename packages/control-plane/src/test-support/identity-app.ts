import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { pino } from 'pino';
import { createBareApp, documentApi } from '../app.js';
import { type ControlPlaneConfig, resolveConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { bootstrapOrg } from '../identity/bootstrap.js';
import { identityRoutes } from '../identity/identity-routes.js';
import { createIdentity, type IdentityService } from '../identity/service.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { Store } from '../storage/store.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/** A clock tests move by hand, so expiry is tested without sleeping. */
export interface TestClock {
  now: () => Date;
  advance(ms: number): void;
}

export interface IdentityApp {
  app: OpenAPIHono<AppEnv>;
  store: Store;
  identity: IdentityService;
  config: ControlPlaneConfig;
  clock: TestClock;
  /** The bootstrapped organisation `acme` and its admin. */
  admin: { orgId: string; userId: string; email: string; password: string };
  /** Sends a JSON request through the app (no socket); `token` becomes the Bearer header. */
  call(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<TestResponse>;
  /** Signs in and returns the access token. */
  login(email?: string, password?: string, org?: string): Promise<string>;
  /** Creates a project with environments in `orgId` directly in the store. */
  seedProject(orgId: string, projectId: string, environmentIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  body: any;
}

/**
 * The identity API as the server runs it: a real SQLite store in a temp directory, the bare app,
 * the authentication middleware and the identity routes, with organisation `acme` bootstrapped.
 */
export async function identityApp(overrides: Partial<ControlPlaneConfig> = {}): Promise<IdentityApp> {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-identity-'));
  const store = await openSqliteStore(join(dir, 'cp.db'));
  await store.migrate();
  let current = new Date('2030-01-01T00:00:00.000Z');
  const clock: TestClock = {
    now: () => new Date(current),
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
  const config = resolveConfig({ publicUrl: 'https://isotyp.test', database: `sqlite:${dir}/cp.db`, ...overrides });
  const identity = createIdentity({ store, config, now: clock.now });
  const app = createBareApp(pino({ level: 'silent' }));
  app.use('*', identity.authenticate);
  app.route('/', identityRoutes(identity));
  documentApi(app);

  const { admin } = await bootstrapOrg({
    store,
    orgId: 'acme',
    orgName: 'Acme',
    adminEmail: 'admin@acme.test',
    adminPassword: ADMIN_PASSWORD,
    now: clock.now,
  });

  const call: IdentityApp['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.request(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  return {
    app,
    store,
    identity,
    config,
    clock,
    admin: { orgId: 'acme', userId: admin.id, email: admin.email, password: ADMIN_PASSWORD },
    call,
    async login(email = 'admin@acme.test', password = ADMIN_PASSWORD, org = 'acme') {
      const response = await call('POST', '/v1/auth/login', { body: { org, email, password } });
      if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
      return response.body.accessToken as string;
    },
    async seedProject(orgId, projectId, environmentIds) {
      const createdAt = clock.now().toISOString();
      await store.projects.create({ id: projectId, orgId, name: projectId, createdAt });
      for (const id of environmentIds) {
        await store.environments.create({ id, orgId, projectId, name: id, privacyMode: 'structure', createdAt });
      }
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
