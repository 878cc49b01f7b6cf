import { IsotypError } from '@isotyp/protocol';
import type { Logger } from 'pino';
import { CertificateAuthority, trustState } from './agents/certificate-authority.js';
import { createApp } from './app.js';
import type { WorkerPeers } from './cluster/peers.js';
import type { ControlPlaneConfig } from './config.js';
import { EventHub } from './events/event-hub.js';
import { NatsRelay } from './events/nats-relay.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { bootstrapOrg } from './identity/bootstrap.js';
import { type RunningServer, startServer, type TlsOptions } from './server.js';
import { openStore } from './storage/open-store.js';
import { SecretSeal, sealStoredSecrets } from './storage/sealed-secrets.js';
import type { Store } from './storage/store.js';

export interface FirstAdmin {
  orgId: string;
  orgName: string;
  email: string;
  password: string;
}

export interface RunningControlPlane extends RunningServer {
  /** True when this start created the organisation and its first admin. */
  bootstrapped: boolean;
  /** The open store (for operators' tools and tests; the app owns it until close). */
  store: Store;
  /** Stops listening, then closes the store. */
  close(): Promise<void>;
}

/**
 * The control plane's composition root: opens and migrates the store, creates the first
 * organisation and admin on an empty database (when `firstAdmin` is given), builds the app and
 * listens. `isotyp server start` calls this; so do end-to-end tests.
 *
 * @example
 * const cp = await runControlPlane({ config, logger, firstAdmin: { orgId: 'acme', orgName: 'Acme', email, password } });
 * await cp.close();
 */
export async function runControlPlane(options: {
  config: ControlPlaneConfig;
  logger: Logger;
  firstAdmin?: FirstAdmin;
  now?: () => Date;
  allowInsecureIdp?: boolean;
  /** The other workers of a multi-process control plane (see cluster/); a single process has none. */
  peers?: WorkerPeers;
}): Promise<RunningControlPlane> {
  const { config, logger } = options;
  // A worker's primary prepared the store already, its secrets sealed and checked included.
  const { store, bootstrapped } = await prepareStore({ ...options, sealing: options.peers === undefined });
  try {
    const closing: (() => Promise<void>)[] = [];
    let trustChanged: (() => Promise<void>) | undefined;
    // Events: every replica follows the audit log (its outbox) for its SSE clients and sends the
    // webhooks owed; replicas share the work through the database (see events/).
    const events = new EventHub(store, logger);
    const dispatcher = new WebhookDispatcher({
      store,
      logger,
      settings: config.webhooks,
      seal: SecretSeal.of(config.caPassphrase),
      ...(options.now ? { now: options.now } : {}),
    });
    const relay = config.nats === undefined ? undefined : new NatsRelay({ store, logger, settings: config.nats });
    closing.push(async () => {
      await dispatcher.stop();
      await relay?.stop();
      events.stop();
    });
    const app = createApp({
      store,
      logger,
      config,
      events,
      onClose: (work) => closing.push(work),
      onTrustChanged: async () => trustChanged?.(),
      ...(options.peers ? { peers: options.peers } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.allowInsecureIdp ? { allowInsecureIdp: true } : {}),
    });
    const now = options.now ?? (() => new Date());
    const tls = config.tls ? await serverTls(store, config, now) : undefined;
    const server = await startServer({
      app,
      host: config.host,
      port: config.port,
      logger,
      ...(tls === undefined ? {} : { tls: tls.current() }),
    });
    const pruner = startIdempotencyPruner(store, logger, now);
    dispatcher.start(events);
    relay?.start(events);
    // The server certificate lives SERVER_CERT_DAYS: a fresh one every day keeps it far from
    // expiry; between, a CA rotation (here or on another replica) or the end of its overlap
    // changes the serving CA or the bundle, checked often enough to follow the overlap.
    let lastRenewal = Date.now();
    const checkEveryMs = Math.min(30_000, Math.max(1000, (config.caOverlapSeconds * 1000) / 2));
    const renewal =
      tls === undefined
        ? undefined
        : setInterval(() => {
            const daily = Date.now() - lastRenewal >= 24 * 3600 * 1000;
            tls.refresh(daily).then(
              (next) => {
                if (next === undefined) return;
                if (daily) lastRenewal = Date.now();
                server.setTls?.(next);
                logger.info('server certificate renewed');
              },
              (error: unknown) => logger.error({ err: error }, 'renewing the server certificate failed'),
            );
          }, checkEveryMs);
    renewal?.unref();
    if (tls !== undefined) {
      trustChanged = async () => {
        const next = await tls.refresh();
        if (next !== undefined) server.setTls?.(next);
      };
    }
    return {
      ...server,
      bootstrapped,
      store,
      async close() {
        clearInterval(pruner);
        clearInterval(renewal);
        await server.close();
        for (const work of closing) await work();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Opens and migrates the store and, on an empty database, creates the first organisation and its
 * admin (when `firstAdmin` is given; an error otherwise). With `authority`, also makes the agent CA
 * when there is none, so that processes started next (workers) do not race to make it. Unless
 * `sealing` is false, seals the secrets stored in the clear and checks the passphrase opens the
 * rest (sealStoredSecrets).
 */
export async function prepareStore(options: {
  config: ControlPlaneConfig;
  logger: Logger;
  firstAdmin?: FirstAdmin;
  now?: () => Date;
  authority?: boolean;
  sealing?: boolean;
}): Promise<{ store: Store; bootstrapped: boolean }> {
  const { config, logger } = options;
  const store = await openStore(config.database);
  try {
    await store.migrate();
    let bootstrapped = false;
    if ((await store.orgs.list()).length === 0) {
      if (options.firstAdmin === undefined) {
        throw new IsotypError(
          'ISOTYP_CONFIG_INVALID',
          'The database has no organisation yet, and no first admin was given.',
          {
            hint: 'Start once with --org, --admin-email and the password in ISOTYP_ADMIN_PASSWORD (or --admin-password-stdin).',
          },
        );
      }
      const admin = options.firstAdmin;
      await bootstrapOrg({
        store,
        orgId: admin.orgId,
        orgName: admin.orgName,
        adminEmail: admin.email,
        adminPassword: admin.password,
        ...(options.now ? { now: options.now } : {}),
      });
      bootstrapped = true;
      logger.info({ org: admin.orgId }, 'created the first organisation and its admin');
    }
    if (options.authority && config.caPassphrase !== undefined) {
      await CertificateAuthority.open(store, config.caPassphrase, (options.now ?? (() => new Date()))());
    }
    const sealed = options.sealing === false ? 0 : await sealStoredSecrets(store, SecretSeal.of(config.caPassphrase));
    if (sealed > 0) logger.info({ sealed }, 'sealed the secrets an earlier version stored in the clear');
    return { store, bootstrapped };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Answers are replayed for a day; a claim pending for ten minutes belongs to a request that died. */
const ANSWERED_FOR_MS = 24 * 3600 * 1000;
const PENDING_FOR_MS = 10 * 60 * 1000;

/**
 * Forgets old idempotency keys every ten minutes. Every replica runs one; deleting the same old
 * rows twice is harmless. The timer does not keep the process alive.
 */
function startIdempotencyPruner(store: Store, logger: Logger, now: () => Date): NodeJS.Timeout {
  const timer = setInterval(() => {
    const at = now().getTime();
    store.idempotency
      .prune(new Date(at - ANSWERED_FOR_MS).toISOString(), new Date(at - PENDING_FOR_MS).toISOString())
      .then(
        (removed) => {
          if (removed > 0) logger.debug({ removed }, 'pruned idempotency keys');
        },
        (error: unknown) => logger.warn({ err: error }, 'pruning idempotency keys failed'),
      );
  }, PENDING_FOR_MS);
  timer.unref();
  return timer;
}

/** How long the control plane's own TLS certificate is valid. */
const SERVER_CERT_DAYS = 30;

/**
 * The server's certificate from the agent CA (the serving one, see trustState), for its public
 * host name and loopback, and the CA bundle client certificates may chain to. `refresh` issues a
 * new certificate when a rotation changed the serving CA or the bundle (or when `force`d, for the
 * daily renewal); undefined when nothing changed.
 */
async function serverTls(store: Store, config: ControlPlaneConfig, now: () => Date) {
  const passphrase = config.caPassphrase;
  if (passphrase === undefined) {
    throw new IsotypError(
      'ISOTYP_CONFIG_INVALID',
      'HTTPS needs the CA passphrase (the CA issues the server certificate).',
      {
        hint: 'Set ISOTYP_CA_PASSPHRASE (at least 16 characters).',
      },
    );
  }
  const hosts = [
    ...new Set([new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''), config.host, '127.0.0.1', 'localhost']),
  ].filter((host) => host !== '0.0.0.0' && host !== '::' && host !== '');
  let signature = '';
  const issue = async (force: boolean): Promise<TlsOptions | undefined> => {
    const trust = await trustState(store, passphrase, now(), config.caOverlapSeconds);
    const next = `${trust.serving.id} ${trust.bundle.join('')}`;
    if (!force && next === signature) return undefined;
    signature = next;
    const issued = trust.serving.issueServerCertificate(hosts, { hours: SERVER_CERT_DAYS * 24, now: now() });
    return { key: issued.keyPem, cert: issued.pem, ca: trust.bundle };
  };
  let current = (await issue(true)) as TlsOptions;
  return {
    current: () => current,
    refresh: async (force = false) => {
      const next = await issue(force);
      if (next !== undefined) current = next;
      return next;
    },
  };
}
