// The load bench's agent fleet, in a process of its own (so that its event loop does not delay
// the readers' clock): every enrolled agent behaves as `isotyp agent start` does towards the
// control plane — a heartbeat when one is due (the interval the control plane answers, 30 s, with
// ±10% jitter), and with `poll` the daemon's long poll for work (GET /v1/agent/work?wait=10)
// between heartbeats, which is what keeps a real agent's connection open. Each agent has its own
// undici Agent: one TLS connection, its own client certificate.
//
// Spec (JSON file, argv[2]): { url, caPem, keys: [pem], agents: [{ certificate, key }],
// rampSeconds, seconds, poll }. Figures count requests sent within the measured window
// (after the ramp); a request unanswered after 40 s fails (undici's header/body timeouts).
import { createSecureContext } from 'node:tls';
import { requireFrom } from '../harness.mjs';
import { between, driver, failureKind, Recorder, sleep } from './stats.mjs';

/** Until the first answer says otherwise: the control plane's HEARTBEAT_SECONDS. */
const DEFAULT_INTERVAL_SECONDS = 30;
/** The daemon's long poll (packages/cli/src/services/agent/daemon.ts WAIT_SECONDS). */
const WAIT_SECONDS = 10;
const JITTER = 0.1;

await driver(async (spec) => {
  const undici = requireFrom('control-plane', 'undici');
  const heartbeat = JSON.stringify({
    version: '0.1.0',
    targets: [{ name: 'orders', dialect: 'postgres', digest: `sha256:${'a'.repeat(64)}`, drift: false }],
  });
  // One TLS context per agent, made now rather than on every reconnect under load.
  const dispatchers = spec.agents.map(
    (agent) =>
      new undici.Agent({
        connections: 1,
        connect: {
          secureContext: createSecureContext({ ca: spec.caPem, cert: agent.certificate, key: spec.keys[agent.key] }),
        },
      }),
  );
  return async () => {
    const started = performance.now();
    const measureFrom = started + spec.rampSeconds * 1000;
    const end = measureFrom + spec.seconds * 1000;
    const classes = { heartbeat: new Recorder(), poll: new Recorder(), ramp: new Recorder() };
    let inFlight = 0;
    const call = async (dispatcher, kind, method, path, body) => {
      const sent = performance.now();
      const recorder = sent < measureFrom ? classes.ramp : classes[kind];
      inFlight++;
      try {
        const response = await undici.request(`${spec.url}${path}`, {
          method,
          dispatcher,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body }),
          headersTimeout: (WAIT_SECONDS + 30) * 1000,
          bodyTimeout: (WAIT_SECONDS + 30) * 1000,
        });
        const text = await response.body.text();
        if (response.statusCode !== 200) {
          recorder.fail(String(response.statusCode));
          return undefined;
        }
        recorder.ok(performance.now() - sent);
        return text;
      } catch (error) {
        recorder.fail(failureKind(error));
        return undefined;
      } finally {
        inFlight--;
      }
    };
    let maxInFlight = 0;
    const sampler = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, inFlight);
    }, 500);
    await Promise.all(
      dispatchers.map(async (dispatcher) => {
        // A fleet already running: first heartbeats spread over one interval, polls over one wait.
        let nextHeartbeat = started + between(0, DEFAULT_INTERVAL_SECONDS * 1000);
        await sleep(spec.poll ? between(0, WAIT_SECONDS * 1000) : nextHeartbeat - performance.now());
        while (performance.now() < end) {
          if (performance.now() >= nextHeartbeat) {
            const answer = await call(dispatcher, 'heartbeat', 'POST', '/v1/agent/heartbeat', heartbeat);
            const interval = answer === undefined ? DEFAULT_INTERVAL_SECONDS : JSON.parse(answer).nextHeartbeatSeconds;
            nextHeartbeat = performance.now() + interval * 1000 * between(1 - JITTER, 1 + JITTER);
          }
          if (performance.now() >= end) break;
          if (spec.poll) {
            const answer = await call(dispatcher, 'poll', 'GET', `/v1/agent/work?wait=${WAIT_SECONDS}`);
            // As the daemon backs off after a failed round (1 s, doubling; one failure here).
            if (answer === undefined) await sleep(between(500, 1000));
          } else await sleep(Math.min(nextHeartbeat, end) - performance.now());
        }
      }),
    );
    clearInterval(sampler);
    const seconds = spec.seconds;
    // Raw: the orchestrator merges the drivers' samples before taking percentiles.
    const result = {
      heartbeat: classes.heartbeat.raw(),
      poll: classes.poll.raw(),
      ramp: classes.ramp.raw(),
      maxInFlight,
    };
    void seconds;
    await Promise.all(dispatchers.map((d) => d.destroy()));
    return result;
  };
});
