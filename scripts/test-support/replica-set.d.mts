// Types for scripts/test-support/replica-set.mjs (plain JavaScript so the benchmarks can import
// it as it is), for TypeScript callers such as replica-set.test.ts.

export interface FirstAdmin {
  orgId: string;
  orgName: string;
  email: string;
  password: string;
}

export interface NginxOptions {
  /** Connections one worker holds (each proxied one counts twice). Default 4096. */
  workerConnections?: number;
  /** Default 1. Each worker has its own descriptor limit: more workers hold more connections. */
  workerProcesses?: number;
  /** One line per connection in `<dir>/nginx-access.log`. Default true. */
  accessLog?: boolean;
  /**
   * Failed connections (refused, timed out) after which a replica is skipped for
   * `failTimeoutSeconds`; 0 never skips one (each connection still moves on to the next
   * replica when one fails). Default 1: a killed replica is left alone at once. Under heavy
   * load a slow accept counts too, and with every replica skipped nginx refuses everything.
   */
  maxFails?: number;
  /** How long a replica that failed is skipped. Default 2. */
  failTimeoutSeconds?: number;
  /** How long nginx waits for a replica to accept a connection. Default 2. */
  connectTimeoutSeconds?: number;
  /** The listen backlog (a burst of new connections waits there). Default 4096. */
  backlog?: number;
}

export interface ReplicaSetOptions {
  /** `postgres://…` of the database every replica shares (migrated and bootstrapped by the first). */
  database: string;
  /** Default 2. */
  replicas?: number;
  /** HTTPS with the agent CA and client certificates, passed through nginx. Default true. */
  tls?: boolean;
  /** More environment for the replica processes. */
  env?: Record<string, string>;
  /**
   * Control-plane settings over the harness's (database, host 127.0.0.1, publicUrl = the load
   * balancer's URL, tls, a random CA passphrase), e.g. `{ rateLimit: {…} }`.
   */
  config?: Record<string, unknown>;
  /** Replica log level, into `<dir>/replica-<n>.log`. Default `warn`. */
  logLevel?: string;
  /** The organisation and admin created on an empty database. Default acme / admin@acme.test, random password. */
  firstAdmin?: FirstAdmin;
  nginx?: NginxOptions;
}

export interface Replica {
  /** The replica's own URL, bypassing nginx (restart() keeps it: same port). */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it if running, then starts it again on the same port; resolves once it listens. */
  restart(): Promise<void>;
}

export interface ReplicaSet {
  /** The load balancer: `https://127.0.0.1:<port>` (or http:// without TLS). */
  url: string;
  /** The agent CA (PEM) the replicas' server certificates chain to; undefined without TLS. */
  caPem: string | undefined;
  firstAdmin: FirstAdmin;
  /** The temporary directory with nginx.conf and every log (removed by close()). */
  dir: string;
  replicas: Replica[];
  nginx: { readonly pid: number | undefined; port: number };
  /** Stops nginx and every replica (gracefully, then by force) and removes `dir`. Idempotent. */
  close(): Promise<void>;
}

export function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet>;
