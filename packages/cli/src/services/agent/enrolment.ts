import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePublicKey,
  ENROLMENT_TOKEN_PATTERN,
  encodePublicKey,
  generateKeyPair,
  IsotypError,
  keyId,
  ORG_ROOT_ENVELOPE_TYPE,
  orgRootSchema,
  sealAgentIdentity,
  toBase64Url,
  verifyEnvelope,
} from '@isotyp/protocol';
import forge from 'node-forge';
import { z } from 'zod';
import { isotypHome } from '../../config.js';
import { ControlPlaneClient } from '../control-plane/client.js';
import { writePrivateFile } from '../control-plane/files.js';
import { normalizeServer } from '../control-plane/session.js';

/** What an enrolled agent keeps about itself (agent.json): nothing secret. */
export const agentStateSchema = z.object({
  agentId: z.string(),
  orgId: z.string(),
  name: z.string(),
  server: z.string(),
  certificateNotAfter: z.string(),
  caFingerprint: z.string(),
  /** The org root pinned at enrolment; null when the organisation had none yet. */
  orgRoot: z.object({ keyId: z.string(), publicKey: z.string() }).nullable(),
  enrolledAt: z.string(),
  /** When the current certificate was received (renewal is due at about half its life). */
  certificateIssuedAt: z.string(),
});
export type AgentState = z.infer<typeof agentStateSchema>;

const enrolledSchema = z.object({
  agentId: z.string(),
  orgId: z.string(),
  name: z.string(),
  certificate: z.string(),
  certificateNotAfter: z.string(),
  ca: z.object({ certificate: z.string(), fingerprint: z.string(), bundle: z.array(z.string()).optional() }),
  orgRoot: z.unknown(),
});

/** $ISOTYP_HOME/agent: identity, TLS key and certificates, pinned CA and root. */
export function agentDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(isotypHome(env), 'agent');
}

/** The enrolled agent's state, or undefined when this machine has not enrolled. */
export function readAgentState(env: NodeJS.ProcessEnv = process.env): AgentState | undefined {
  const file = join(agentDir(env), 'agent.json');
  if (!existsSync(file)) return undefined;
  return agentStateSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * `isotyp agent enroll`: makes this machine's Ed25519 identity and an RSA TLS key (both stay
 * here), redeems the one-time token for a client certificate, and pins the CA certificate and the
 * org root the control plane answered with. Everything lands in $ISOTYP_HOME/agent, keys 0600.
 *
 * @example
 * const state = await enrollAgent({ url: 'https://isotyp.example.com', token });
 */
export async function enrollAgent(input: {
  url: string;
  token: string;
  /** SHA-256 fingerprint of the CA (from `isotyp agents token`): required for an https URL. */
  caFingerprint?: string | undefined;
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<AgentState> {
  if (!ENROLMENT_TOKEN_PATTERN.test(input.token)) {
    throw new IsotypError('ISOTYP_USAGE', 'That is not an enrolment token (isotyp_enrol_…).', {
      hint: 'An admin makes one with isotyp agents token NAME; it works once, for 30 minutes.',
    });
  }
  const dir = agentDir(input.env);
  if (!input.force && existsSync(join(dir, 'agent.json'))) {
    throw new IsotypError('ISOTYP_CONFLICT', `This machine is already enrolled (${dir}).`, {
      hint: 'Pass --force to enrol again with a new identity (the old agent should be revoked).',
    });
  }
  const server = normalizeServer(input.url);
  const identity = generateKeyPair();
  const tls = newTlsRequest();
  const proof = sealAgentIdentity(input.token, identity);
  // Over HTTPS the server's certificate comes from the CA this agent is about to pin: fetch it
  // unverified, accept it only if it is the one the admin's fingerprint names, then talk to the
  // server trusting that CA alone.
  const ca = server.startsWith('https:') ? await fetchPinnedCa(server, input.caFingerprint) : undefined;
  const client = new ControlPlaneClient({ server, ...(ca === undefined ? {} : { tls: { ca } }) });
  const enrolled = await client.post(
    '/v1/agents/enroll',
    { token: input.token, csr: tls.csrPem, identity: proof },
    enrolledSchema,
  );
  if (input.caFingerprint !== undefined && sameFingerprint(enrolled.ca.fingerprint, input.caFingerprint) === false) {
    throw caMismatch(enrolled.ca.fingerprint);
  }
  const state: AgentState = {
    agentId: enrolled.agentId,
    orgId: enrolled.orgId,
    name: enrolled.name,
    server,
    certificateNotAfter: enrolled.certificateNotAfter,
    caFingerprint: enrolled.ca.fingerprint,
    orgRoot: pinnedRoot(enrolled.orgRoot, enrolled.orgId),
    enrolledAt: new Date().toISOString(),
    certificateIssuedAt: new Date().toISOString(),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (name: string, text: string) => writePrivateFile(join(dir, name), text, { overwrite: true });
  write(
    'identity.key',
    JSON.stringify({
      keyId: keyId(identity.publicKey),
      publicKey: encodePublicKey(identity.publicKey),
      seed: toBase64Url(identity.secretKey.subarray(0, 32)),
    }),
  );
  write(TLS_FILE, `${tls.keyPem}${enrolled.certificate}`);
  // Every CA the control plane trusts for agents (more than one while a rotation overlaps): the
  // answer came over TLS checked against the fingerprinted CA, so the bundle is its word.
  write('ca.crt', (enrolled.ca.bundle ?? [enrolled.ca.certificate]).join(''));
  write('agent.json', `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** The org root from the enrolment answer, checked to be self-signed and of this organisation. */
function pinnedRoot(envelope: unknown, orgId: string): AgentState['orgRoot'] {
  if (envelope === null || envelope === undefined) return null;
  const claimed = orgRootSchema.safeParse((envelope as { payload?: unknown }).payload);
  if (!claimed.success || claimed.data.org !== orgId) {
    throw new IsotypError('ISOTYP_TRUST_MISMATCH', 'The control plane answered with an unreadable org root.');
  }
  verifyEnvelope(envelope, {
    type: ORG_ROOT_ENVELOPE_TYPE,
    keys: new Map([[claimed.data.keyId, decodePublicKey(claimed.data.publicKey)]]),
    payload: orgRootSchema,
  });
  return { keyId: claimed.data.keyId, publicKey: claimed.data.publicKey };
}

/** Fingerprints compared as hex, whatever the case and the colons. */
function sameFingerprint(a: string, b: string): boolean {
  const hex = (text: string) => text.replace(/[^0-9a-f]/gi, '').toLowerCase();
  return hex(a) === hex(b);
}

function caMismatch(got: string): IsotypError {
  return new IsotypError(
    'ISOTYP_TRUST_MISMATCH',
    `The control plane's CA is ${got}, not the fingerprint you were given.`,
    {
      hint: 'Do not enrol: something between you and the control plane is answering for it. Check the URL and the fingerprint with your admin.',
    },
  );
}

async function fetchPinnedCa(server: string, fingerprint: string | undefined): Promise<string> {
  if (fingerprint === undefined) {
    throw new IsotypError('ISOTYP_USAGE', 'Enrolling over HTTPS needs the CA fingerprint.', {
      hint: 'Pass --ca-fingerprint (isotyp agents token prints it with the token).',
    });
  }
  const { Agent, fetch } = await import('undici');
  // Not verified on purpose: what is checked is the fingerprint of the CA it serves.
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  let pem: string;
  try {
    const answer = await fetch(`${server}/v1/agents/ca`, { dispatcher, signal: AbortSignal.timeout(15_000) });
    pem = z.object({ certificate: z.string() }).parse(await answer.json()).certificate;
  } catch (cause) {
    throw new IsotypError('ISOTYP_UNAVAILABLE', `Cannot read the CA certificate from ${server}.`, {
      hint: 'Check the URL and that the control plane runs with --tls.',
      cause,
    });
  } finally {
    await dispatcher.close();
  }
  const served = new X509Certificate(pem).fingerprint256;
  if (!sameFingerprint(served, fingerprint)) throw caMismatch(served);
  return pem;
}

/**
 * The agent's TLS key and its certificate, in one file (0600) so that a renewal replaces both
 * in one rename: never a new key beside an old certificate.
 */
export const TLS_FILE = 'tls.pem';

/** A fresh RSA 2048 key and a PKCS#10 request for it, signed by it. */
export function newTlsRequest(): { keyPem: string; csrPem: string } {
  const tls = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(tls.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  csr.setSubject([{ name: 'commonName', value: 'isotyp-agent' }]);
  csr.sign(
    forge.pki.privateKeyFromPem(tls.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    forge.md.sha256.create(),
  );
  return {
    keyPem: tls.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    csrPem: forge.pki.certificationRequestToPem(csr),
  };
}

/** Writes agent.json again (after a renewal). */
export function writeAgentState(state: AgentState, env: NodeJS.ProcessEnv = process.env): void {
  writePrivateFile(join(agentDir(env), 'agent.json'), `${JSON.stringify(state, null, 2)}\n`, { overwrite: true });
}
