import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Advice, LocalPlan } from '@isotyp/agent';
import {
  IsotypError,
  privacyModeSchema,
  type Suggestion,
  suggestionDigest,
  suggestionReport,
  suggestionSchema,
} from '@isotyp/protocol';
import { z } from 'zod';
import { isotypHome } from '../../config.js';
import { writePlanFile } from '../plan-file.js';
import { resolveEnvironment, resolveTarget } from './catalog.js';
import { type Change, signAndSubmit, submitChange } from './changes.js';
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
  /** The desired-state schema (a .sql file or a directory of them), in step with the database. */
  schema: string;
  /** Where to write the plan file. */
  out: string;
  title?: string | undefined;
}

/** An accepted suggestion made a desired-state edit, and the plan of the edited schema. */
export interface SchemaDraft {
  plan: LocalPlan;
  /** The file that now holds the suggestion's statements. */
  schemaFile: string;
  /** The default title of the change request. */
  title: string;
}

/**
 * Makes an accepted suggestion a desired-state edit, at the site: the proposal kept here (or, for
 * a rule-based one, found again in the database) is checked against the accepted digest; its
 * statements are added to the desired-state schema (appended to the file, or a new file in the
 * directory), which must have been in step with the database; the schema is planned exactly as
 * `isotyp plan` and `isotyp apply --change --schema` will plan it, and the plan must be the
 * proposal's own statements. On any refusal the schema is left as it was. Used by
 * `isotyp suggestions draft` and by the agent daemon.
 *
 * @example
 * const { plan, schemaFile } = await draftIntoSchema(stored, 'sqlite:./app.db', 'schema.sql');
 */
export async function draftIntoSchema(
  stored: StoredSuggestion,
  targetUrl: string,
  schema: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SchemaDraft> {
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
    const advice = await adviseTarget(targetUrl, { readData: stored.kind === 'nullable-without-nulls' });
    suggestion = advice.suggestions.find((s) => suggestionDigest(s) === stored.digest);
  }
  if (suggestion === undefined) {
    throw new IsotypError('ISOTYP_NOT_FOUND', `The proposal of suggestion ${stored.id} is not kept on this machine.`, {
      hint: 'Draft it where isotyp suggest --report ran, or run that again here and review the new suggestion.',
    });
  }
  const { makePlan } = await import('../local.js');
  const planOf = () => makePlan(targetUrl, schema, { renames: [], concurrentIndexes: false });
  // An earlier draft of this very suggestion made its edit and was cut off before the control
  // plane heard of it (the agent daemon tries again on its next round; a person runs the
  // command again): the edit stands, and is planned and checked as if made now.
  const resumed = holdsDraft(schema, stored);
  const before = resumed ? undefined : await planOf();
  if (before !== undefined && before.plan.ops.length > 0) {
    throw new IsotypError(
      'ISOTYP_CONFLICT',
      `The desired schema ${schema} already differs from the database (${before.plan.ops.length} operation(s)).`,
      {
        hint: 'Apply or drop those changes first, so that the change drafted from the suggestion holds only its own.',
      },
    );
  }
  const proposal = await draftFromSuggestion(targetUrl, suggestion, stored.digest);
  const statements = proposal.plan.ops.flatMap((op) => op.up);
  const edit = resumed
    ? { file: schemaFileOf(schema, stored), undo: () => {} }
    : appendToSchema(schema, stored, statements);
  try {
    const plan = await planOf();
    const planned = plan.plan.ops.flatMap((op) => op.up);
    if (JSON.stringify(planned) !== JSON.stringify(statements)) {
      throw new IsotypError(
        'ISOTYP_DIGEST_MISMATCH',
        'The edited schema does not plan to the suggestion’s statements.',
        {
          hint: 'Add the change to the schema by hand, then isotyp plan and isotyp submit.',
          details: { expected: statements.length, planned: planned.length },
        },
      );
    }
    const title = `Advisor: ${suggestion.kind} on ${suggestion.objects[0]?.name ?? stored.targetId}`.slice(0, 200);
    return { plan, schemaFile: edit.file, title };
  } catch (error) {
    edit.undo();
    throw error;
  }
}

/**
 * `isotyp suggestions draft`: the desired-state edit (draftIntoSchema), the plan file, a change
 * request signed by you, and the control plane told which change came of the suggestion.
 *
 * @example
 * const { change } = await draftSuggestion(client, secretStore(), { id, targetUrl, schema: 'schema.sql', out: 'plan.json' });
 */
export async function draftSuggestion(
  client: ControlPlaneClient,
  store: SecretStore,
  input: DraftInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ suggestion: StoredSuggestion; change: Change; planPath: string; schemaFile: string }> {
  const stored = await client.get(`/v1/suggestions/${encodeURIComponent(input.id)}`, storedSuggestionSchema);
  const draft = await draftIntoSchema(stored, input.targetUrl, input.schema, env);
  writePlanFile(input.out, draft.plan);
  const { change } = await submitChange(client, store, {
    planPath: input.out,
    env: stored.environmentId,
    project: stored.projectId,
    target: stored.targetId,
    title: input.title ?? draft.title,
    draft: false,
  });
  await markDrafted(client, stored.id, change.id);
  return { suggestion: stored, change, planPath: input.out, schemaFile: draft.schemaFile };
}

const markDrafted = (client: ControlPlaneClient, id: string, changeId: string) =>
  client.post(`/v1/suggestions/${encodeURIComponent(id)}/drafted`, { changeId }, storedSuggestionSchema);

/**
 * `isotyp suggestions submit`: the plan an agent drafted from an accepted suggestion (its digests,
 * privacy-filtered manifest and findings, kept by the control plane), signed by you and submitted
 * as a change request. You need not be at the site: the agent re-plans from its schema when it
 * applies, and applies only this very plan.
 *
 * @example
 * const { change } = await submitAgentDraft(client, secretStore(), 'sug_…');
 */
export async function submitAgentDraft(
  client: ControlPlaneClient,
  store: SecretStore,
  id: string,
  title?: string,
): Promise<{ suggestion: StoredSuggestion; change: Change }> {
  const stored = await client.get(`/v1/suggestions/${encodeURIComponent(id)}`, storedSuggestionSchema);
  if (stored.changeId !== undefined) {
    throw new IsotypError(
      'ISOTYP_CONFLICT',
      `Suggestion ${stored.id} was submitted already, as change ${stored.changeId}.`,
      {
        hint: `See it with isotyp changes show ${stored.changeId}.`,
      },
    );
  }
  const planned = stored.draft;
  if (stored.state !== 'accepted' || planned === undefined) {
    throw new IsotypError('ISOTYP_INVALID_STATE', `Suggestion ${stored.id} has no plan drafted by its agent yet.`, {
      hint:
        stored.state === 'accepted'
          ? 'The target’s agent drafts it on its next rounds (isotyp agent start); or draft it yourself at the site with isotyp suggestions draft.'
          : `Accept it first: isotyp suggestions accept ${stored.id}.`,
    });
  }
  const change = await signAndSubmit(client, store, {
    project: stored.projectId,
    environment: stored.environmentId,
    target: stored.targetId,
    fromDigest: planned.fromDigest,
    toDigest: planned.toDigest,
    planDigest: planned.planDigest,
    manifest: planned.manifest,
    lint: planned.lint,
    bump: planned.bump,
    title: title ?? planned.title,
    draft: false,
  });
  await markDrafted(client, stored.id, change.id);
  return { suggestion: stored, change };
}

/**
 * The agent daemon's part: drafts an accepted suggestion of one of its targets into that target's
 * desired-state schema and attaches the plan — digests, and the manifest and findings filtered for
 * the environment's privacy mode — to the suggestion, for a person to sign and submit.
 */
export async function draftForAgent(
  client: ControlPlaneClient,
  stored: StoredSuggestion,
  local: { url: string; schema: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<SchemaDraft> {
  const draft = await draftIntoSchema(stored, local.url, local.schema, env);
  const { buildManifest, wireLint } = await import('@isotyp/agent');
  const environments = await client.get(
    `/v1/projects/${encodeURIComponent(stored.projectId)}/environments`,
    z.object({ environments: z.array(z.object({ id: z.string(), privacyMode: privacyModeSchema })) }),
  );
  const mode = environments.environments.find((e) => e.id === stored.environmentId)?.privacyMode ?? 'digest';
  const { plan } = draft.plan;
  await client.post(
    `/v1/agent/suggestions/${encodeURIComponent(stored.id)}/plan`,
    {
      fromDigest: plan.fromDigest,
      toDigest: plan.toDigest,
      planDigest: plan.planDigest,
      bump: draft.plan.semver,
      manifest: buildManifest(plan, mode),
      lint: wireLint(draft.plan.lint, mode),
      title: draft.title,
    },
    z.unknown(),
  );
  return draft;
}

/** The comment a suggestion's statements sit under in the desired-state schema. */
const draftMarker = (stored: StoredSuggestion) => `-- isotyp suggestion ${stored.id} (${stored.kind})`;

/** The file of the schema a suggestion's statements go into (a schema directory gets a file of its own). */
function schemaFileOf(schema: string, stored: StoredSuggestion): string {
  return statSync(schema).isDirectory() ? join(schema, `zz_suggestion_${stored.id}.sql`) : schema;
}

/** Whether the desired-state schema holds this suggestion's statements already (see appendToSchema). */
function holdsDraft(schema: string, stored: StoredSuggestion): boolean {
  const file = schemaFileOf(schema, stored);
  return existsSync(file) && readFileSync(file, 'utf8').includes(`${draftMarker(stored)}, proposal ${stored.digest}`);
}

/**
 * Adds a suggestion's statements to the desired-state schema, under a comment naming it:
 * appended to a schema file, or as a new last file of a schema directory. Returns the file and
 * a way to take the edit back.
 */
function appendToSchema(
  schema: string,
  stored: StoredSuggestion,
  statements: string[],
): { file: string; undo: () => void } {
  const block = [
    '',
    `${draftMarker(stored)}, proposal ${stored.digest}`,
    ...statements.map((s) => (s.trimEnd().endsWith(';') ? s : `${s};`)),
    '',
  ].join('\n');
  if (statSync(schema).isDirectory()) {
    const file = schemaFileOf(schema, stored);
    writeFileSync(file, block.trimStart(), { flag: 'wx' });
    return { file, undo: () => rmSync(file, { force: true }) };
  }
  const original = readFileSync(schema, 'utf8');
  writeFileSync(schema, `${original.replace(/\s*$/, '\n')}${block}`);
  return { file: schema, undo: () => writeFileSync(schema, original) };
}
