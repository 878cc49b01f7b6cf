import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointDue, openAuditLog, openRunner, sendCheckpoint } from '@isotyp/agent';
import { fromBase64Url, IsotypError, keyPairFromSeed } from '@isotyp/protocol';
import YAML from 'yaml';
import { z } from 'zod';
import { auditLogPath } from '../audit.js';
import { unanswered } from '../control-plane/client.js';
import { applyGovernedChange, claimChange } from '../control-plane/governed-apply.js';
import { withTargetSecrets } from '../secrets.js';
import { errorType, resolveTracing, startTracing, stopTracing, traced, tracingConfigSchema } from '../tracing.js';
import { agentDir, readAgentState } from './enrolment.js';
import { agentClient, agentFetch, sendHeartbeat } from './heartbeat.js';
import { renewCertificate } from './renewal.js';
import { drainReports, openReportQueue } from './report-queue.js';

/** The agent's own configuration: its targets, by their names in the control plane. */
export const agentConfigSchema = z.strictObject({
  targets: z.record(
    z.string().min(1),
    z.strictObject({
      /** Target URL; passwords by reference (`?password=keychain:NAME`). */
      url: z.string().min(1),
      /** The desired schema changes are planned from (a file or directory). */
      schema: z.string().min(1),
      /** The environment's name, as the policy sees it. */
      environment: z.string().min(1),
    }),
  ),
  /** OpenTelemetry traces to an OTLP/HTTP collector; OTEL_EXPORTER_OTLP_ENDPOINT overrides it. */
  tracing: tracingConfigSchema.optional(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export function readAgentConfig(path: string): AgentConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `Cannot read the agent configuration ${path}.`, {
      hint: 'It is YAML (or JSON): targets: { NAME: { url, schema, environment } }.',
      cause,
    });
  }
  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `${path}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}.`, {
      hint:
        issue?.path[0] === 'tracing'
          ? 'tracing: { otlpEndpoint: http://COLLECTOR:4318, serviceName?, sampleRatio? (0–1) }.'
          : 'Each target needs url, schema and environment.',
    });
  }
  return parsed.data;
}

export interface DaemonLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Waits between failed rounds: 1 s doubling to 60 s, with jitter. */
const BACKOFF_MS = { first: 1000, max: 60_000 };
/** How long one work request is held open by the control plane. */
const WAIT_SECONDS = 10;

/**
 * `isotyp agent start`: the agent's loop, in the foreground. Each round it sends a heartbeat
 * when one is due, renews its certificate when that is due, and asks the control plane for work
 * (a long poll); every approved change on a target it serves goes through the zero-trust apply
 * (verified here, then applied, then reported). A change refused here is not tried again by this
 * process. Failures to reach the control plane back off exponentially. `stop()` ends the loop
 * after the apply under way, if any; a pending poll is abandoned.
 *
 * @example
 * const daemon = startDaemon(readAgentConfig('agent.yaml'), logger);
 * process.on('SIGTERM', () => daemon.stop());
 * await daemon.done;
 */
export function startDaemon(config: AgentConfig, log: DaemonLog, env: NodeJS.ProcessEnv = process.env) {
  const state = readAgentState(env);
  if (state === undefined) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'This machine is not enrolled as an agent.', {
      hint: 'Enrol it first: isotyp agent enroll --url … (the token in ISOTYP_ENROLMENT_TOKEN).',
    });
  }
  if (state.orgRoot === null) {
    throw new IsotypError('ISOTYP_TRUST_NOT_INITIALISED', 'No org root was pinned at enrolment.', {
      hint: 'An admin runs isotyp org init; then enrol this agent again (isotyp agent enroll --force).',
    });
  }
  const rootKeyId = state.orgRoot.keyId;
  // Checked now, so a malformed endpoint stops the start with ISOTYP_CONFIG_INVALID.
  const tracingSettings = resolveTracing(config.tracing, env, 'isotyp-agent');
  let stopping = false;
  let wake: (() => void) | undefined;
  const refused = new Set<string>();
  /** Changes reported applied by `reconcile`, so a slow transition is not reported twice. */
  const reconciled = new Set<string>();
  /** `applying` changes whose claim is not this agent's: asked once, then left be. */
  const heldElsewhere = new Set<string>();
  let nextHeartbeat = 0;

  const resolvedTargets = async () =>
    Promise.all(
      Object.entries(config.targets).map(async ([name, t]) => ({ name, ...t, url: await withTargetSecrets(t.url) })),
    );

  const reports = openReportQueue(env);
  // The agent's audit log is signed with its enrolment identity: the control plane checks that.
  const identity = JSON.parse(readFileSync(join(agentDir(env), 'identity.key'), 'utf8')) as { seed: string };
  const logKey = {
    name: `isotyp.agent/${state.agentId}`,
    secretKey: keyPairFromSeed(fromBase64Url(identity.seed, 32)).secretKey,
  };
  let lastCheckpoint: { at: Date; size: number } | undefined;
  /** A signed checkpoint of the local audit log, every 5 minutes or 10,000 entries. */
  const checkpoint = async () => {
    const audit = openAuditLog(auditLogPath(env));
    try {
      const due = checkpointDue({
        lastSentAt: lastCheckpoint?.at,
        lastSentSize: lastCheckpoint?.size,
        now: new Date(),
        size: audit.size,
      });
      if (!due) return;
      const sent = await sendCheckpoint(audit, {
        server: state.server,
        fetch: await agentFetch(env),
        agentId: state.agentId,
        key: logKey,
      });
      if (sent !== undefined) {
        lastCheckpoint = { at: new Date(), size: sent.size };
        log.info({ size: sent.size }, 'audit checkpoint sent');
      }
    } finally {
      audit.close();
    }
  };
  // One client (one mutual-TLS connection pool) for every call, until a renewal changes the
  // certificate: a fresh client per call would mean a fresh TLS handshake per call.
  let client = agentClient(env);
  /** The control plane's ids of this agent's targets, by name, as the last work answer gave them. */
  let servedTargets: { id: string; name: string }[] = [];
  const undraftable = new Set<string>();
  /**
   * Accepted suggestions on this agent's targets become desired-state edits: each is added to the
   * target's schema, planned, and the plan attached to the suggestion for a person to sign and
   * submit (an agent never authors a change). One that cannot be drafted is not tried again; one
   * whose draft the control plane did not answer is, on the next round.
   */
  const draftAccepted = async () => {
    if (servedTargets.length === 0) return;
    const { draftForAgent } = await import('../control-plane/advisor.js');
    const { storedSuggestionSchema } = await import('../control-plane/suggestions.js');
    const accepted = await client.get(
      '/v1/agent/suggestions/accepted',
      z.object({ suggestions: z.array(storedSuggestionSchema) }),
    );
    for (const suggestion of accepted.suggestions) {
      if (stopping) return;
      if (undraftable.has(suggestion.id)) continue;
      const name = servedTargets.find((t) => t.id === suggestion.targetId)?.name;
      const local = name === undefined ? undefined : config.targets[name];
      if (name === undefined || local === undefined) {
        undraftable.add(suggestion.id);
        log.warn(
          { suggestion: suggestion.id },
          'an accepted suggestion for a target this agent has no configuration for',
        );
        continue;
      }
      try {
        const draft = await draftForAgent(
          client,
          suggestion,
          { url: await withTargetSecrets(local.url), schema: local.schema },
          env,
        );
        log.info(
          { suggestion: suggestion.id, target: name, planDigest: draft.plan.plan.planDigest, schema: draft.schemaFile },
          'suggestion drafted into the desired schema',
        );
      } catch (error) {
        // Unanswered: the next round tries again, taking up the edit this attempt made.
        if (unanswered(error)) throw error;
        undraftable.add(suggestion.id);
        log.warn({ suggestion: suggestion.id, target: name, code: errorType(error) }, 'suggestion not drafted');
      }
    }
  };
  const round = async () => {
    // What the control plane has not heard yet (an "applied" it was away for) goes first.
    const drained = await traced('isotyp.agent.report_queue', {}, () =>
      drainReports(client, reports, (report, error) =>
        log.warn({ path: report.path, code: error.code }, 'a queued report was refused; dropped'),
      ),
    );
    if (drained.delivered > 0) log.info(drained, 'queued reports delivered');
    if (Date.now() >= nextHeartbeat) {
      const targets = await resolvedTargets();
      const answer = await traced('isotyp.agent.heartbeat', { 'isotyp.targets.count': targets.length }, () =>
        sendHeartbeat(targets, env, client),
      );
      nextHeartbeat = Date.now() + answer.nextHeartbeatSeconds * 1000;
    }
    await traced('isotyp.agent.checkpoint', {}, checkpoint);
    const renewal = await traced('isotyp.agent.renew', {}, () => renewCertificate({ ifDue: true, env }));
    if (renewal.renewed) {
      client = agentClient(env);
      log.info({ certificateNotAfter: renewal.certificateNotAfter }, 'certificate renewed');
    }

    await traced('isotyp.agent.draft_suggestions', {}, draftAccepted);
    const work = await traced('isotyp.agent.fetch_approved', {}, () =>
      client.get(
        '/v1/agent/work',
        z.object({
          targets: z.array(z.object({ id: z.string(), name: z.string() })),
          changes: z.array(z.object({ id: z.string(), targetId: z.string(), title: z.string() })),
          applying: z.array(z.object({ id: z.string(), targetId: z.string(), planDigest: z.string() })).default([]),
        }),
        { wait: String(WAIT_SECONDS) },
      ),
    );
    servedTargets = work.targets;
    await traced('isotyp.agent.reconcile', {}, () => reconcile(work.applying, work.targets));
    for (const change of work.changes) {
      if (stopping) return;
      if (refused.has(change.id)) continue;
      const name = work.targets.find((t) => t.id === change.targetId)?.name;
      const local = name === undefined ? undefined : config.targets[name];
      if (name === undefined || local === undefined) {
        refused.add(change.id);
        log.warn(
          { change: change.id, target: change.targetId },
          'a change for a target this agent has no configuration for',
        );
        continue;
      }
      await applyChange(change, name, local);
    }
  };

  /**
   * Verify, apply and report one change on target `name`. A control plane out of reach ends the
   * round (the change is tried again in the next one); any other failure is not tried again.
   */
  const applyChange = async (
    change: { id: string; targetId: string },
    name: string,
    local: AgentConfig['targets'][string],
  ) => {
    try {
      // Verify, apply and report: one span, the report's request inside it.
      const result = await traced(
        'isotyp.agent.apply',
        { 'isotyp.change.id': change.id, 'isotyp.target.name': name },
        async () =>
          applyGovernedChange(client, {
            changeId: change.id,
            target: await withTargetSecrets(local.url),
            schema: local.schema,
            targetId: change.targetId,
            environment: local.environment,
            orgRoot: rootKeyId,
            actor: `agent:${state.agentId}`,
            env,
          }),
      );
      log.info(
        { change: change.id, target: name, toDigest: result.toDigest, version: result.toVersion },
        'change applied',
      );
    } catch (error) {
      if (unanswered(error)) throw error;
      refused.add(change.id);
      log.warn({ change: change.id, target: name, code: errorType(error) }, 'change not applied');
    }
  };

  /**
   * Changes the control plane still sees `applying` on this agent's targets, while this daemon
   * applies nothing (its applies run one at a time inside the round). If the plan is in the
   * target's own history, an earlier run died after its database commit and before its
   * `applied` report: the report is sent now. If it is not, the claim is sent again under its
   * fixed key (see claimChange): a claim this agent sent whose answer was lost is replayed to it
   * and nothing was applied, so the change is applied now, as an approved one is; anyone else's
   * claim — a CI job applying it right now — is refused, and the change is left be.
   */
  const reconcile = async (
    applying: readonly { id: string; targetId: string; planDigest: string }[],
    targets: readonly { id: string; name: string }[],
  ) => {
    for (const change of applying) {
      if (stopping || reconciled.has(change.id) || heldElsewhere.has(change.id) || refused.has(change.id)) continue;
      const name = targets.find((t) => t.id === change.targetId)?.name;
      const local = name === undefined ? undefined : config.targets[name];
      if (name === undefined || local === undefined) continue;
      const runner = openRunner(await withTargetSecrets(local.url));
      const latest = await runner.read((session) => session.latestApplied()).finally(() => runner.close());
      if (latest?.planDigest === change.planDigest) {
        await client.post(
          `/v1/changes/${encodeURIComponent(change.id)}/transitions`,
          { to: 'applied', digest: latest.toDigest },
          z.unknown(),
        );
        reconciled.add(change.id);
        log.info(
          { change: change.id, target: name, toDigest: latest.toDigest },
          'reported an apply an earlier run left unreported',
        );
        continue;
      }
      try {
        await claimChange(client, change.id);
      } catch (error) {
        // No answer: the next round asks again. Any answer is final for this process.
        if (unanswered(error)) throw error;
        heldElsewhere.add(change.id);
        log.info(
          { change: change.id, target: name, code: errorType(error) },
          'a change applying under another claim; left be',
        );
        continue;
      }
      log.info({ change: change.id, target: name }, 'resuming a change this agent claimed and never applied');
      await applyChange(change, name, local);
    }
  };

  const health = {
    lastRoundAt: undefined as string | undefined,
    lastError: undefined as string | undefined,
    failures: 0,
  };
  const done = (async () => {
    if (tracingSettings !== undefined) await startTracing(tracingSettings, log);
    let failures = 0;
    while (!stopping) {
      try {
        // Each round is a trace: its steps are spans, each request to the control plane a
        // client span under them, continued there as a server span.
        await traced('isotyp.agent.round', {}, round);
        failures = 0;
        health.lastRoundAt = new Date().toISOString();
        health.lastError = undefined;
        health.failures = 0;
      } catch (error) {
        failures++;
        health.failures = failures;
        health.lastError = errorType(error);
        const wait = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        log.warn({ code: errorType(error), retryInMs: Math.round(wait) }, 'round failed; backing off');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    reports.close();
    await stopTracing();
  })();

  return {
    agentId: state.agentId,
    done,
    /** For the local health endpoint: ok once a round went through and the last one did. */
    health: () => ({
      status: health.lastRoundAt !== undefined && health.failures === 0 ? 'ok' : 'degraded',
      agentId: state.agentId,
      lastRoundAt: health.lastRoundAt ?? null,
      lastError: health.lastError ?? null,
      consecutiveFailures: health.failures,
      certificateNotAfter: readAgentState(env)?.certificateNotAfter ?? state.certificateNotAfter,
    }),
    stop() {
      stopping = true;
      wake?.();
    },
  };
}
