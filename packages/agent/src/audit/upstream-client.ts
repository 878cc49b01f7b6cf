import { randomUUID } from 'node:crypto';
import { type Checkpoint, IsotypError, isErrorCode } from '@isotyp/protocol';
import type { AuditLog } from './audit-log.js';
import {
  type AgentLogKey,
  buildCheckpointReport,
  type ControlPlaneInclusion,
  checkControlPlaneTree,
  openControlPlaneCheckpoint,
  tampered,
} from './checkpoint-exchange.js';

/*
 * The audit calls an agent makes to its control plane: with a bearer token, or — the daemon —
 * through a `fetch` that presents the agent's client certificate (mutual TLS).
 */

export interface UpstreamOptions {
  /** Base URL of the control plane, e.g. `https://cp.example.com`. */
  server: string;
  /**
   * Bearer token of a principal holding agent:report (or audit:read, for reading). Absent for an
   * enrolled agent, whose `fetch` presents its client certificate instead.
   */
  token?: string;
  fetch?: typeof fetch;
}

/**
 * Sends a checkpoint of the agent's log (see buildCheckpointReport) and, once the control plane
 * accepted it, records it as the log's upstream marker so the next report proves consistency
 * from it. A refusal is the server's IsotypError (ISOTYP_AUDIT_TAMPERED when it saw a fork or a
 * truncation); the marker then stays where it was. Undefined for an empty log.
 *
 * @example
 * await sendCheckpoint(log, { server, token, agentId, key });
 */
export async function sendCheckpoint(
  log: AuditLog,
  options: UpstreamOptions & { agentId: string; key: AgentLogKey; now?: () => Date },
): Promise<{ size: number; created: boolean } | undefined> {
  const now = options.now ?? (() => new Date());
  const built = buildCheckpointReport(log, { agentId: options.agentId, key: options.key, now: now() });
  if (built === undefined) return undefined;
  const response = await call(options, 'POST', '/v1/audit/agent-checkpoints', built.report);
  log.markUpstream({ size: built.size, root: built.root, time: now().toISOString() });
  return { size: built.size, created: response.status === 201 };
}

/**
 * Fetches the control plane's checkpoint, the consistency proof from `previous` and inclusion
 * proofs of `seqs`, and checks them all as verifyControlPlaneLog does, against the pinned `vkey`.
 * Returns the verified checkpoint, the next `previous`.
 */
export async function readControlPlaneLog(
  options: UpstreamOptions & {
    vkey: string;
    previous?: { size: number; root: string } | undefined;
    seqs?: readonly number[];
  },
): Promise<Checkpoint> {
  const head = (await call(options, 'GET', '/v1/audit/checkpoint')).body as { note?: unknown };
  if (typeof head.note !== 'string') throw unexpected('/v1/audit/checkpoint');
  const { vkey, previous } = options;
  // The signature first, and a shrunk or forked tree next: proofs are asked for the signed size
  // only, never for a size the server merely claims.
  const signed = openControlPlaneCheckpoint(head.note, vkey);
  if (previous !== undefined && signed.size <= previous.size) checkControlPlaneTree(signed, { previous });
  let consistency: string[] = [];
  if (previous !== undefined && previous.size > 0 && previous.size < signed.size) {
    const proof = await call(options, 'GET', `/v1/audit/proof/consistency?from=${previous.size}&to=${signed.size}`);
    consistency = (proof.body as { hashes: string[] }).hashes;
  }
  const inclusion: ControlPlaneInclusion[] = [];
  for (const seq of options.seqs ?? []) {
    if (seq >= signed.size) {
      throw new IsotypError(
        'ISOTYP_INVALID_INPUT',
        `Entry ${seq} is not in the control plane's tree of ${signed.size}.`,
      );
    }
    const proof = await call(options, 'GET', `/v1/audit/proof/inclusion?seq=${seq}&size=${signed.size}`);
    const body = proof.body as ControlPlaneInclusion;
    // A valid proof of another entry than the one asked for proves nothing about this one.
    if (body.leafIndex !== seq) throw tampered('inclusion', `it answered entry ${String(body.leafIndex)} for ${seq}`);
    inclusion.push(body);
  }
  // The bodies are unchecked on purpose: checkControlPlaneTree checks every field it uses.
  return checkControlPlaneTree(signed, { previous, consistency, inclusion });
}

async function call(
  options: UpstreamOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = randomUUID();
  }
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(`${options.server.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new IsotypError('ISOTYP_UNAVAILABLE', `Cannot reach the control plane at ${options.server}.`, {
      hint: 'Check the network and the control plane; the agent retries on its next round.',
      cause,
    });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw unexpected(path);
  }
  if (response.ok) {
    if (typeof parsed !== 'object' || parsed === null) throw unexpected(path);
    return { status: response.status, body: parsed };
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error !== undefined && typeof error.code === 'string' && isErrorCode(error.code)) {
    throw new IsotypError(error.code, String(error.message ?? `${method} ${path} failed.`), {
      ...(typeof error.details === 'object' && error.details !== null
        ? { details: error.details as Record<string, unknown> }
        : {}),
    });
  }
  throw unexpected(path);
}

function unexpected(path: string): IsotypError {
  return new IsotypError(
    'ISOTYP_UNSUPPORTED_VERSION',
    `The control plane's answer to ${path} is not what the agent expects.`,
    {
      hint: 'The agent and the control plane may be different versions.',
    },
  );
}
