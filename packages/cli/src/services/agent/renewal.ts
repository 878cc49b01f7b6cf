import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { z } from 'zod';
import { writePrivateFile } from '../control-plane/files.js';
import { agentDir, newTlsRequest, readAgentState, TLS_FILE, writeAgentState } from './enrolment.js';
import { agentClient } from './heartbeat.js';

/** Renewal is due at half the certificate's life, give or take this share of it (jitter). */
const JITTER = 0.1;

/**
 * When the current certificate should be renewed: about half-way through its life, spread by
 * ±10% so that a fleet enrolled together does not renew together.
 */
export function renewalDueAt(issuedAt: string, notAfter: string, random: () => number = Math.random): Date {
  const issued = Date.parse(issuedAt);
  const life = Date.parse(notAfter) - issued;
  return new Date(issued + life / 2 + (random() * 2 - 1) * JITTER * life);
}

/**
 * `isotyp agent renew`: a new TLS key and certificate, asked for over mutual TLS with the current
 * one; key and certificate replace the old ones together (one file, one rename). With `ifDue`,
 * nothing happens before the renewal time.
 */
export async function renewCertificate(options: { ifDue?: boolean; now?: Date; env?: NodeJS.ProcessEnv } = {}) {
  const env = options.env ?? process.env;
  const state = readAgentState(env);
  if (state === undefined) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'This machine is not enrolled as an agent.', {
      hint: 'Enrol it first: isotyp agent enroll.',
    });
  }
  const now = options.now ?? new Date();
  const dueAt = renewalDueAt(state.certificateIssuedAt, state.certificateNotAfter);
  if (options.ifDue && now < dueAt) return { renewed: false, certificateNotAfter: state.certificateNotAfter, dueAt };
  const tls = newTlsRequest();
  const answer = await agentClient(env).post(
    '/v1/agent/certificate',
    { csr: tls.csrPem },
    z.object({ certificate: z.string(), certificateNotAfter: z.string(), caBundle: z.array(z.string()).optional() }),
  );
  writePrivateFile(join(agentDir(env), TLS_FILE), `${tls.keyPem}${answer.certificate}`, { overwrite: true });
  // After a CA rotation the bundle holds the new CA too: pinned now, before the server switches.
  if (answer.caBundle !== undefined && answer.caBundle.length > 0) {
    writePrivateFile(join(agentDir(env), 'ca.crt'), answer.caBundle.join(''), { overwrite: true });
  }
  writeAgentState(
    { ...state, certificateNotAfter: answer.certificateNotAfter, certificateIssuedAt: now.toISOString() },
    env,
  );
  return {
    renewed: true,
    certificateNotAfter: answer.certificateNotAfter,
    dueAt: renewalDueAt(now.toISOString(), answer.certificateNotAfter),
  };
}
