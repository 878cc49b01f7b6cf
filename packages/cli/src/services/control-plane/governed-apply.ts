import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  type ApprovalEvidence,
  type ApprovedApplyResult,
  applyApprovedChange,
  openAuditLog,
  openTrustState,
} from '@isotyp/agent';
import { IDEMPOTENCY_KEY_PATTERN, IsotypError, isIsotypError, KEY_ID_PATTERN, type KeyId } from '@isotyp/protocol';
import { z } from 'zod';
import { isotypHome, loadProjectConfig } from '../../config.js';
import { drainReports, openReportQueue } from '../agent/report-queue.js';
import { auditLogPath } from '../audit.js';
import { type ControlPlaneClient, unanswered } from './client.js';

export interface GovernedApplyInput {
  changeId: string;
  /** The database, as a target URL. */
  target: string;
  /** The desired schema the change was planned from. */
  schema: string;
  /** This target's id in the control plane: approvals must name it. */
  targetId: string;
  /** The environment's name: the policy's conditions are judged for it. */
  environment: string;
  /** The org root key id this machine trusts (pinned; never taken from the control plane). */
  orgRoot: string;
  actor: string;
  devUrl?: string | undefined;
  config?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** A change as read for evidence: only what is needed to fetch the rest; all of it is checked later. */
const changeHead = z.looseObject({ projectId: z.string(), environmentId: z.string(), policyVersion: z.number() });
const trustAnswer = z.looseObject({ document: z.unknown() });
const environments = z.object({ environments: z.array(z.looseObject({ id: z.string() })) });

/**
 * `isotyp apply --change ID`: fetches what the control plane says about the change, then lets
 * the agent plan against the live database and verify on its own that this very plan is
 * approved (see applyApprovedChange) — only then does it claim the change (`applying`, see
 * claimChange), run the plan, and report `applied` with the new schema digest (or `failed`).
 * A claim whose answer was lost is resumed by running the same apply again as the same
 * principal: nothing was applied, and the control plane replays the claim. A report the
 * control plane cannot take right now is queued ($ISOTYP_HOME/reports.db) and sent first by the
 * next run or by the agent daemon: `reported` says which.
 *
 * @example
 * await applyGovernedChange(client, { changeId, target, schema, targetId, environment: 'prod', orgRoot, actor: 'ci:deploy' });
 */
export async function applyGovernedChange(
  client: ControlPlaneClient,
  input: GovernedApplyInput,
): Promise<ApprovedApplyResult & { reported: boolean }> {
  if (!KEY_ID_PATTERN.test(input.orgRoot)) {
    throw new IsotypError('ISOTYP_USAGE', `--org-root must be a key id (ed25519:…), got "${input.orgRoot}".`, {
      hint: 'Copy it from isotyp org init, or from the enrolment of this agent.',
    });
  }
  const evidence = await fetchEvidence(client, input.changeId);
  const config = loadProjectConfig(input.config);
  const home = isotypHome(input.env);
  const trust = openTrustState(join(home, 'trust.db'));
  const audit = openAuditLog(auditLogPath(input.env));
  const reports = openReportQueue(input.env);
  const path = `/v1/changes/${encodeURIComponent(input.changeId)}/transitions`;
  /** A report the control plane must hear: sent now, or queued and sent later. */
  const report = async (body: unknown): Promise<boolean> => {
    try {
      await client.post(path, body, z.unknown());
      return true;
    } catch (error) {
      if (isIsotypError(error) && !error.retryable && error.code !== 'ISOTYP_UNAVAILABLE') throw error;
      reports.add(path, body);
      return false;
    }
  };
  try {
    // Reports an earlier run could not deliver go first, so the control plane hears in order.
    await drainReports(client, reports).catch(() => undefined);
    let claimed = false;
    let started = false;
    let result: ApprovedApplyResult;
    try {
      result = await applyApprovedChange({
        target: input.target,
        plan: {
          schema: input.schema,
          cacheDir: join(home, 'cache', 'desired'),
          ...(input.devUrl === undefined ? {} : { devUrl: input.devUrl }),
          ...(config.lint === undefined ? {} : { lint: config.lint }),
        },
        evidence,
        local: {
          changeId: input.changeId,
          targetId: input.targetId,
          environment: input.environment,
          rootKeyId: input.orgRoot as KeyId,
        },
        trust,
        audit,
        actor: input.actor,
        beforeApply: async () => {
          claimed = true;
          await claimChange(client, input.changeId);
          started = true;
        },
      });
    } catch (error) {
      // Told `applying` and then failed: say so, so the change does not hang in `applying`.
      if (started) {
        const reason = isIsotypError(error) ? `${error.code}: ${error.message}` : 'unexpected failure';
        await report({ to: 'failed', reason: reason.slice(0, 500) }).catch(() => false);
        throw error;
      }
      // A failed claim says itself what became of it; a run stopped before it may hold an old one.
      throw claimed ? error : await withHeldClaim(client, input.changeId, error);
    }
    // The database has changed: this report must not be lost, so it is queued if it cannot go now.
    const reported = await report({ to: 'applied', digest: result.toDigest });
    return { ...result, reported };
  } finally {
    reports.close();
    trust.close();
    audit.close();
  }
}

/**
 * The Idempotency-Key of the claim on a change (`POST …/transitions {to:'applying'}`): derived
 * from the change id alone, so every run — a retry, the next `isotyp apply`, the agent daemon
 * after a restart — sends the same one. The control plane keeps answers per principal for a
 * day: the principal that sent the claim gets its stored 200 again (the claim is its own), any
 * other principal a 409. An id the header cannot carry as it is goes in as its SHA-256.
 *
 * @example
 * applyClaimKey('chg_3q2Xv9Kd0aBcYz1M') // 'apply-claim.chg_3q2Xv9Kd0aBcYz1M'
 */
export function applyClaimKey(changeId: string): string {
  const key = `apply-claim.${changeId}`;
  if (IDEMPOTENCY_KEY_PATTERN.test(key)) return key;
  return `apply-claim.sha256:${createHash('sha256').update(changeId).digest('hex')}`;
}

const changeState = z.looseObject({ state: z.string() });

/**
 * A run that stopped before claiming the change (refused, say, or the database unreachable)
 * while the change is `applying` under this principal's own claim from an earlier run whose
 * answer was lost: the change stays `applying` until this principal applies it or a person ends
 * it, which the error alone would not say — so its hint does. Whose claim it is, claimChange
 * finds out: the control plane replays the claim to the principal that holds it and answers
 * anyone else 409. The state is read first, so a change not `applying` is never claimed here.
 * Anything else (no such claim, the control plane not answering) leaves the error as it was.
 */
async function withHeldClaim(client: ControlPlaneClient, changeId: string, error: unknown): Promise<unknown> {
  if (!isIsotypError(error)) return error;
  try {
    const { state } = await client.get(`/v1/changes/${encodeURIComponent(changeId)}`, changeState);
    if (state !== 'applying') return error;
    await claimChange(client, changeId);
  } catch {
    return error;
  }
  const held =
    `Change ${changeId} stays applying under your claim from an earlier run. Run the same apply again once this is ` +
    `fixed; if it never can be (an approval expired, say), check that the target is still at the change's fromDigest ` +
    `(isotyp inspect, isotyp changes show ${changeId}) and end it: isotyp changes fail ${changeId} --reason "…".`;
  return new IsotypError(error.code, error.message, {
    hint: error.hint === undefined ? held : `${error.hint} ${held}`,
    ...(error.details === undefined ? {} : { details: error.details }),
    cause: error,
  });
}

/**
 * Claims a change for this principal: `applying`, under applyClaimKey. Resolves once the control
 * plane holds the change `applying` on this principal's claim — a fresh one, or one sent earlier
 * whose answer never arrived (replayed) — and the change is still `applying` now: a replayed
 * claim only says it was taken once, and a change failed or rolled back since must not run again.
 * A claim the control plane did not answer (see `unanswered`) keeps its code, saying that
 * nothing was applied and how to resume; a claim someone else holds is the control plane's 409.
 *
 * @example
 * await claimChange(client, 'chg_3q2Xv9Kd0aBcYz1M'); // then apply
 */
export async function claimChange(client: ControlPlaneClient, changeId: string): Promise<void> {
  const id = encodeURIComponent(changeId);
  let state: string;
  try {
    await client.post(`/v1/changes/${id}/transitions`, { to: 'applying' }, z.unknown(), {
      idempotencyKey: applyClaimKey(changeId),
    });
    ({ state } = await client.get(`/v1/changes/${id}`, changeState));
  } catch (error) {
    if (!unanswered(error)) throw error;
    throw new IsotypError(
      error.code,
      `Nothing was applied: the control plane did not confirm that change ${changeId} is applying. ${error.message}`,
      {
        hint: 'The control plane may have taken the claim all the same: run the same apply again, as the same user, CI token or agent, within a day to resume it. An agent daemon resumes its own claims by itself.',
        ...(error.details === undefined ? {} : { details: error.details }),
        cause: error,
      },
    );
  }
  if (state !== 'applying') {
    throw new IsotypError('ISOTYP_INVALID_STATE', `Change ${changeId} is ${state}: its claim was spent before.`, {
      hint: 'Nothing was applied. Fetch the change (isotyp changes show ID) to see what happened to it.',
      details: { id: changeId, state },
    });
  }
}

/** The change, the org root, the latest keyring, the change's policy version and its environment. */
async function fetchEvidence(client: ControlPlaneClient, changeId: string): Promise<ApprovalEvidence> {
  const change = await client.get(`/v1/changes/${encodeURIComponent(changeId)}`, z.unknown());
  const head = changeHead.safeParse(change);
  if (!head.success) {
    throw new IsotypError('ISOTYP_APPROVAL_INVALID', 'The control plane answered with no readable change.', {
      hint: 'Nothing was applied. Check the change id and the control plane.',
    });
  }
  const { projectId, environmentId, policyVersion } = head.data;
  const [root, keyring, policy, envs] = await Promise.all([
    client.get('/v1/trust/root', trustAnswer),
    client.get('/v1/trust/keyring', trustAnswer),
    client.get('/v1/trust/policy', trustAnswer, { version: String(policyVersion) }),
    client.get(`/v1/projects/${encodeURIComponent(projectId)}/environments`, environments),
  ]);
  return {
    change,
    root: root.document,
    keyring: keyring.document,
    policy: policy.document,
    environment: envs.environments.find((e) => e.id === environmentId),
  };
}
