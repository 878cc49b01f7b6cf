import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Advice } from '@isotyp/agent';
import { IsotypError, type Suggestion, suggestionDigest, suggestionReport, suggestionSchema } from '@isotyp/protocol';
import { z } from 'zod';
import { isotypHome } from '../../config.js';
import { writePlanFile } from '../plan-file.js';
import { resolveEnvironment, resolveTarget } from './catalog.js';
import { type Change, submitChange } from './changes.js';
import type { ControlPlaneClient } from './client.js';
import { ensurePrivateDir, writePrivateFile } from './files.js';
import type { SecretStore } from './keystore.js';
import { type StoredSuggestion, storedSuggestionSchema } from './suggestions.js';

/**
 * Where the full suggestions this machine reported are kept, by digest: the control plane holds
 * only their metadata and digest, so the edits a reviewer accepted are drafted from here.
 */
export function keptSuggestionsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(isotypHome(env), 'suggestions');
}

const keptPath = (digest: string, env?: NodeJS.ProcessEnv) =>
  join(keptSuggestionsDir(env), `${digest.replace(/^sha256:/, '')}.json`);

export interface ReportInput {
  env: string;
  project?: string | undefined;
  /** The control plane's target (id or name); default: the environment's only target. */
  target?: string | undefined;
}

/**
 * Reports advice to the control plane for one target: each suggestion's metadata, filtered by
 * the environment's privacy mode (object names only in `structure` and `full`), and its digest —
 * never its edits or statements, which stay in $ISOTYP_HOME/suggestions for drafting later.
 *
 * @example
 * await reportAdvice(client, await adviseTarget(url), { env: 'prod', target: 'orders-db' });
 */
export async function reportAdvice(
  client: ControlPlaneClient,
  advice: Advice,
  input: ReportInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ targetId: string; privacyMode: string; created: number; updated: number }> {
  const environment = await resolveEnvironment(client, input.env, input.project);
  const target = await resolveTarget(client, environment, input.target);
  if (target.dialect !== advice.dialect) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `Target ${target.name} is ${target.dialect}; this database is ${advice.dialect}.`,
      {
        hint: 'Report to the control-plane target that stands for this database (--target-id).',
      },
    );
  }
  ensurePrivateDir(keptSuggestionsDir(env));
  for (const suggestion of advice.suggestions) {
    writePrivateFile(keptPath(suggestionDigest(suggestion), env), `${JSON.stringify(suggestion, null, 2)}\n`, {
      overwrite: true,
    });
  }
  const reports = advice.suggestions.map((s) => suggestionReport(s, environment.privacyMode));
  const counts = await client.post(
    `/v1/targets/${encodeURIComponent(target.id)}/suggestions`,
    { suggestions: reports },
    z.object({ created: z.number(), updated: z.number() }),
  );
  return { targetId: target.id, privacyMode: environment.privacyMode, ...counts };
}

/** The full suggestion kept here for `digest`, or undefined. */
export function keptSuggestion(digest: string, env: NodeJS.ProcessEnv = process.env): Suggestion | undefined {
  const path = keptPath(digest, env);
  if (!existsSync(path)) return undefined;
  const parsed = suggestionSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  return parsed.success && suggestionDigest(parsed.data) === digest ? parsed.data : undefined;
}

export interface DraftInput {
  /** The suggestion's id in the control plane. */
  id: string;
  /** The database URL, here at the site. */
  targetUrl: string;
  /** Where to write the plan file. */
  out: string;
  title?: string | undefined;
}

/**
 * Turns an accepted suggestion into a change request: drafts the plan from the proposal kept
 * here (re-advising the database when it is not kept, for rule-based suggestions), checks it is
 * exactly the accepted proposal (by digest), writes the plan file, submits it as the signed-in
 * author and tells the control plane which change came of it.
 *
 * @example
 * const { change } = await draftSuggestion(client, secretStore(), { id, targetUrl: 'sqlite:./app.db', out: 'plan.json' });
 */
export async function draftSuggestion(
  client: ControlPlaneClient,
  store: SecretStore,
  input: DraftInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ suggestion: StoredSuggestion; change: Change; planPath: string }> {
  const stored = await client.get(`/v1/suggestions/${encodeURIComponent(input.id)}`, storedSuggestionSchema);
  if (stored.state !== 'accepted') {
    throw new IsotypError('ISOTYP_INVALID_STATE', `Suggestion ${stored.id} is ${stored.state}, not accepted.`, {
      hint: `Accept it first: isotyp suggestions accept ${stored.id}.`,
    });
  }
  if (stored.changeId !== undefined) {
    throw new IsotypError(
      'ISOTYP_CONFLICT',
      `Suggestion ${stored.id} was drafted already, as change ${stored.changeId}.`,
      {
        hint: `See it with isotyp changes show ${stored.changeId}.`,
      },
    );
  }
  const { adviseTarget, draftFromSuggestion } = await import('@isotyp/agent');
  let suggestion = keptSuggestion(stored.digest, env);
  if (suggestion === undefined && stored.source === 'rule') {
    const advice = await adviseTarget(input.targetUrl, { readData: stored.kind === 'nullable-without-nulls' });
    suggestion = advice.suggestions.find((s) => suggestionDigest(s) === stored.digest);
  }
  if (suggestion === undefined) {
    throw new IsotypError('ISOTYP_NOT_FOUND', `The proposal of suggestion ${stored.id} is not kept on this machine.`, {
      hint: 'Draft it where isotyp suggest --report ran, or run that again here and review the new suggestion.',
    });
  }
  const plan = await draftFromSuggestion(input.targetUrl, suggestion, stored.digest);
  writePlanFile(input.out, plan);
  const title =
    input.title ?? `Advisor: ${suggestion.kind} on ${suggestion.objects[0]?.name ?? stored.targetId}`.slice(0, 200);
  const { change } = await submitChange(client, store, {
    planPath: input.out,
    env: stored.environmentId,
    project: stored.projectId,
    target: stored.targetId,
    title,
    draft: false,
  });
  await client.post(
    `/v1/suggestions/${encodeURIComponent(stored.id)}/drafted`,
    { changeId: change.id },
    storedSuggestionSchema,
  );
  return { suggestion: stored, change, planPath: input.out };
}
