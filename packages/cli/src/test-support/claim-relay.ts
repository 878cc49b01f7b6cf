import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { trustState } from '../../../control-plane/src/agents/certificate-authority.js';
import type { LiveControlPlane } from '../services/control-plane/test-support/live-control-plane.js';

/** The CA passphrase startLiveControlPlane gives its control plane (live-control-plane.ts). */
const LIVE_CA_PASSPHRASE = 'cli-test-ca-passphrase-7a1e';

/** The claim on a change: `POST /v1/changes/ID/transitions` with `{"to":"applying"}`. */
const TRANSITIONS = /^\/v1\/changes\/[^/]+\/transitions$/;

export interface ClaimRelay {
  /** Where clients reach the control plane through the relay (HTTPS, the control plane's CA). */
  url: string;
  /**
   * While true, every claim is passed on to the control plane and its answer thrown away: the
   * client's connection is destroyed instead, as a link that breaks before the answer does.
   */
  dropClaims: boolean;
  /** Claims passed on and left unanswered, with the status the control plane gave each. */
  dropped: number[];
  /** Every claim passed on, answered or not, with the status the control plane gave it. */
  claims: number[];
  /** Every request as it arrived: `METHOD /path` (no query). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * An HTTPS relay on loopback in front of a live control plane started with `tls: true`, with a
 * server certificate from the control plane's own CA, so an enrolled agent (which pins that CA)
 * and the CLI (NODE_EXTRA_CA_CERTS) take it for the control plane. Everything is passed on as
 * it came; requests go upstream with the client certificate of the agent enrolled in
 * `agentHome` once there is one (an agent is known by its certificate, which the relay cannot
 * forward from the client's TLS session), and with none before. With `dropClaims`, the claim on
 * a change reaches the control plane but its answer never reaches the client.
 *
 * @example
 * const relay = await claimRelay(cp, { agentHome: join(homes.agent, '.isotyp') });
 * relay.dropClaims = true;
 */
export async function claimRelay(cp: LiveControlPlane, options: { agentHome?: string } = {}): Promise<ClaimRelay> {
  const trust = await trustState(cp.store, LIVE_CA_PASSPHRASE, new Date(), 0);
  const ca = trust.serving.certificatePem;
  const issued = trust.serving.issueServerCertificate(['127.0.0.1', 'localhost'], { hours: 24, now: new Date() });
  const anonymous = new UndiciAgent({ connect: { ca } });
  let asAgent: { pem: string; dispatcher: UndiciAgent } | undefined;
  /** The upstream connection pool: as the enrolled agent when there is one (its current certificate). */
  const dispatcher = (): UndiciAgent => {
    const file = options.agentHome === undefined ? undefined : join(options.agentHome, 'agent', 'tls.pem');
    if (file === undefined || !existsSync(file)) return anonymous;
    const pem = readFileSync(file, 'utf8');
    if (asAgent?.pem !== pem) {
      void asAgent?.dispatcher.close();
      asAgent = { pem, dispatcher: new UndiciAgent({ connect: { ca, cert: pem, key: pem } }) };
    }
    return asAgent.dispatcher;
  };

  const relay: ClaimRelay = {
    url: '',
    dropClaims: false,
    dropped: [],
    claims: [],
    requests: [],
    close: async () => undefined,
  };
  const server = createServer({ key: issued.keyPem, cert: issued.pem }, async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const payload = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'https://relay').pathname;
      relay.requests.push(`${req.method} ${path}`);
      const claim =
        req.method === 'POST' && TRANSITIONS.test(path) && JSON.parse(payload.toString('utf8')).to === 'applying';
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([k, v]) =>
            typeof v === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(k),
        ),
      ) as Record<string, string>;
      const answer = await undiciFetch(`${cp.url}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(payload.length > 0 ? { body: payload } : {}),
        dispatcher: dispatcher(),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      if (claim) relay.claims.push(answer.status);
      if (claim && relay.dropClaims) {
        // The control plane has decided; the client never hears it.
        relay.dropped.push(answer.status);
        req.socket.destroy();
        return;
      }
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['connection', 'content-length', 'content-encoding', 'transfer-encoding', 'keep-alive'].includes(name))
          out[name] = value;
      });
      res.writeHead(answer.status, out);
      res.end(body);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  relay.url = `https://127.0.0.1:${port}`;
  relay.close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await anonymous.close();
    await asAgent?.dispatcher.close();
  };
  return relay;
}
