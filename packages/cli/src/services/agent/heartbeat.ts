import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { detectDrift, openRunner, parseTargetUrl } from '@isotyp/agent';
import { IsotypError } from '@isotyp/protocol';
import { z } from 'zod';
import { ControlPlaneClient } from '../control-plane/client.js';
import { activeTracing } from '../tracing.js';
import { agentDir, readAgentState, TLS_FILE } from './enrolment.js';

const VERSION = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

export interface HeartbeatTarget {
  name: string;
  url: string;
}

/** A client that speaks to the control plane as this agent: the pinned CA, the client certificate. */
export function agentClient(env: NodeJS.ProcessEnv = process.env): ControlPlaneClient {
  const state = readAgentState(env);
  if (state === undefined) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'This machine is not enrolled as an agent.', {
      hint: 'Enrol it first: isotyp agent enroll --url … --token … (an admin makes the token with isotyp agents token).',
    });
  }
  const dir = agentDir(env);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  // tls.pem holds the key and then the certificate: Node's TLS takes the PEM blocks it needs.
  const pem = read(TLS_FILE);
  return new ControlPlaneClient({ server: state.server, tls: { ca: read('ca.crt'), cert: pem, key: pem } });
}

/**
 * A fetch that speaks as this agent (pinned CA, client certificate), for the audit upstream
 * client, which takes a fetch rather than a ControlPlaneClient.
 */
export async function agentFetch(env: NodeJS.ProcessEnv = process.env): Promise<typeof fetch> {
  const dir = agentDir(env);
  const pem = readFileSync(join(dir, TLS_FILE), 'utf8');
  const undici = await import('undici');
  const dispatcher = new undici.Agent({
    connect: { ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), cert: pem, key: pem },
  });
  return (async (url: string, init: RequestInit = {}) => {
    const tracing = activeTracing();
    if (tracing === undefined) {
      return undici.fetch(url, { ...(init as object), dispatcher } as Parameters<typeof undici.fetch>[1]);
    }
    // Traced like ControlPlaneClient's calls: a client span, and its traceparent sent along.
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const span = tracing.clientSpan(init.method ?? 'GET', new URL(url), headers, 0);
    try {
      const response = await undici.fetch(url, { ...(init as object), headers, dispatcher } as Parameters<
        typeof undici.fetch
      >[1]);
      span.end(response.status);
      return response;
    } catch (error) {
      span.end(undefined, 'ISOTYP_UNAVAILABLE');
      throw error;
    }
  }) as unknown as typeof fetch;
}

/**
 * One heartbeat: this agent's version and, for each target, its live schema digest and whether
 * it drifted from what Isotyp last applied (read here; only the digest and the verdict leave).
 * `isotyp agent start` sends these on a timer; `isotyp agent heartbeat` sends one now.
 */
export async function sendHeartbeat(
  targets: readonly HeartbeatTarget[],
  env: NodeJS.ProcessEnv = process.env,
  client: ControlPlaneClient = agentClient(env),
) {
  const report = [];
  for (const target of targets) {
    // The live digest, and whether it is still what Isotyp last left (drift): read here, only
    // the digest and the verdict leave.
    const runner = openRunner(target.url);
    try {
      const drift = await detectDrift(runner);
      report.push({
        name: target.name,
        dialect: parseTargetUrl(target.url).dialect,
        digest: drift.live,
        drift: drift.drifted,
      });
    } finally {
      await runner.close();
    }
  }
  return client.post(
    '/v1/agent/heartbeat',
    { version: VERSION, targets: report },
    z.object({ serverTime: z.string(), nextHeartbeatSeconds: z.number() }),
  );
}
