// Setting up the load bench through the public API, as the CLI would: enrolling the agent fleet
// and making the readers' principals (signed-in viewers and read-only CI tokens).
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { importBuilt, requireFrom } from '../harness.mjs';

/** JSON calls to the control plane at `url` (trusting `caPem`), with Idempotency-Keys on writes. */
export function apiClient(url, caPem) {
  const undici = requireFrom('control-plane', 'undici');
  const dispatcher = new undici.Agent({ connections: 64, connect: { ca: caPem } });
  const call = async (method, path, { token, body } = {}) => {
    const response = await undici.fetch(`${url}${path}`, {
      method,
      dispatcher,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(method === 'POST' && !path.startsWith('/v1/auth/') ? { 'idempotency-key': randomUUID() } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return { call, close: () => dispatcher.close() };
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` at once. */
async function pooled(count, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/**
 * Enrols `count` agents as `isotyp agent enroll` does — an enrolment token each, a certificate
 * request, an Ed25519 identity proof bound to the token — except that the RSA key pairs come
 * from a pool of `keyPool` (the control plane accepts the same public key in several requests;
 * each agent still gets its own identity, agent id and certificate). Generating 10,000 RSA-2048
 * keys would take longer than the whole bench. `signIn()` gives the admin's access token.
 *
 * @returns {Promise<{ keys: string[], agents: { certificate: string, key: number }[], seconds: number }>}
 */
export async function enrolFleet(api, signIn, { count, keyPool, concurrency }) {
  const protocol = await importBuilt('protocol');
  const forge = requireFrom('control-plane', 'node-forge');
  const pool = Array.from({ length: Math.min(keyPool, count) }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }));
    csr.setSubject([{ name: 'commonName', value: 'isotyp-agent' }]);
    csr.sign(
      forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' })),
      forge.md.sha256.create(),
    );
    return {
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      csrPem: forge.pki.certificationRequestToPem(csr),
    };
  });
  const agents = new Array(count);
  const started = performance.now();
  let done = 0;
  // Access tokens live 15 minutes and enrolling 10,000 agents takes longer: a fresh one every 10.
  let admin = { token: await signIn(), at: performance.now() };
  const adminToken = async () => {
    if (performance.now() - admin.at > 10 * 60_000) admin = { token: await signIn(), at: performance.now() };
    return admin.token;
  };
  await pooled(count, concurrency, async (i) => {
    const { token } = await api.call('POST', '/v1/agents/enrolment-tokens', {
      token: await adminToken(),
      body: { name: `edge-${i}` },
    });
    const identity = protocol.generateKeyPair();
    const proof = protocol.sealAgentIdentity(token, identity);
    const key = i % pool.length;
    const enrolled = await api.call('POST', '/v1/agents/enroll', {
      body: { token, csr: pool[key].csrPem, identity: proof },
    });
    agents[i] = { certificate: enrolled.certificate, key };
    done++;
    if (done % 1000 === 0) {
      const seconds = (performance.now() - started) / 1000;
      console.error(
        `  [load] ${done.toLocaleString('en')} of ${count.toLocaleString('en')} agents enrolled (${(done / seconds).toFixed(1)}/s)`,
      );
    }
  });
  return { keys: pool.map((k) => k.keyPem), agents, seconds: (performance.now() - started) / 1000 };
}

/**
 * The readers' principals: `users` viewers (signed in, an access token each) and `ciTokens`
 * read-only CI tokens, one per environment in turn. Each reads the change list, the catalog and
 * the changes it can see (a CI token only those of its environment).
 *
 * @returns {Promise<{ kind: 'user' | 'ci', token: string, routes: { route: string, paths: string[] }[] }[]>}
 */
export async function readerPrincipals(api, adminToken, { users, ciTokens }) {
  const password = randomBytes(18).toString('base64url');
  const principals = [];
  for (let i = 0; i < users; i++) {
    const email = `viewer-${i}@acme.test`;
    await api.call('POST', '/v1/users', {
      token: adminToken,
      body: { email, displayName: `viewer-${i}`, password, grants: [{ role: 'viewer', scope: { kind: 'org' } }] },
    });
    const { accessToken } = await api.call('POST', '/v1/auth/login', { body: { org: 'acme', email, password } });
    principals.push({ kind: 'user', token: accessToken });
  }
  const { targets } = await api.call('GET', '/v1/targets', { token: adminToken });
  const environments = [...new Map(targets.map((t) => [t.environmentId, t])).values()];
  for (let i = 0; i < ciTokens; i++) {
    const env = environments[i % environments.length];
    const { token } = await api.call('POST', '/v1/tokens', {
      token: adminToken,
      body: { name: `ci-reader-${i}`, projectId: env.projectId, environmentId: env.environmentId, actions: ['read'] },
    });
    principals.push({ kind: 'ci', token, list: `/v1/changes?environmentId=${env.environmentId}&limit=50` });
  }
  for (const principal of principals) {
    // A CI job asks for its environment's changes; a person for the newest of all.
    principal.list ??= '/v1/changes?limit=50';
    const { changes } = await api.call('GET', principal.list, { token: principal.token });
    const visible = await api.call('GET', '/v1/targets', { token: principal.token });
    if (changes.length === 0 || visible.targets.length === 0) {
      throw new Error(
        `a ${principal.kind} reader sees ${changes.length} changes and ${visible.targets.length} targets`,
      );
    }
    // A third of the reads each; a change read is one of the first 20 changes it sees.
    principal.routes = [
      { route: 'change list GET /v1/changes?limit=50', paths: [principal.list] },
      { route: 'catalog GET /v1/targets', paths: ['/v1/targets'] },
      { route: 'change read GET /v1/changes/{id}', paths: changes.slice(0, 20).map((c) => `/v1/changes/${c.id}`) },
    ];
  }
  return principals;
}
