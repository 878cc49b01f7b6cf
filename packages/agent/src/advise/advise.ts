import {
  type Digest,
  IsotypError,
  type SchemaModel,
  type Suggestion,
  type SuggestionKind,
  suggestionDigest,
} from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { openPostgres } from '../dialects/postgres/client.js';
import { postgresPlanner } from '../dialects/postgres/planner.js';
import { sqlitePlanner } from '../dialects/sqlite/planner.js';
import { connectTarget } from '../inspect.js';
import { createPlan } from '../plan/create-plan.js';
import type { DialectPlanner } from '../plan/dialect-planner.js';
import { schemaDigest } from '../schema/schema-digest.js';
import { parseTargetUrl } from '../target/target-url.js';
import { countNulls, dataRules, postgresNullQuery, quoteIdentifier, sqliteNullQuery } from './data-rules.js';
import type { AdviceContext, Detector } from './detector.js';
import { applyEdits } from './edits.js';
import { type LlmOptions, llmSuggestions } from './llm/llm-provider.js';
import { MATURE_STATISTICS_DAYS, readPostgresStatistics, statisticsAgeDays, statisticsRules } from './statistics.js';
import { structureRules } from './structure-rules.js';

/** Every rule-based detector, in the order the docs list them. */
export const detectors: readonly Detector[] = [...structureRules, ...statisticsRules, ...dataRules];

export interface AdviseOptions {
  /** Count NULLs in nullable columns (reads the data, locally). Off unless asked. */
  readData?: boolean;
  /** Only these kinds. */
  kinds?: readonly SuggestionKind[];
  /** Days of PostgreSQL statistics before an index with no scans counts as unused (default 7). */
  minStatisticsAgeDays?: number;
  /** Also ask a site-local LLM (an OpenAI-compatible endpoint); it sees schema metadata only. */
  llm?: LlmOptions;
}

/** A suggestion dropped because its proposal does not plan against the database it is for. */
export interface RefusedSuggestion {
  kind: SuggestionKind;
  object: string;
  reason: string;
}

export interface Advice {
  dialect: SchemaModel['dialect'];
  /** The schema digest the suggestions were made against. */
  digest: Digest<'schema'>;
  /** Best first. */
  suggestions: Suggestion[];
  /** The statements each proposal plans to, by `suggestionDigest` (read here; never sent). */
  statements: Record<string, string[]>;
  refused: RefusedSuggestion[];
  /** Which detectors ran, and why the others did not. */
  detectors: { kind: SuggestionKind; ran: boolean; why?: string }[];
  /** What the LLM gave, when one was asked: counts, or why it could not answer. */
  llm?: { suggestions: number; refused: number } | { error: { code: string; message: string; hint?: string } };
}

/**
 * Runs the advisor on a live target: reads its schema (and, on PostgreSQL, its statistics; and,
 * only with `readData`, NULL counts), runs every detector, keeps the suggestions whose proposal
 * plans cleanly against this very schema, and ranks them by score. Everything happens here;
 * nothing is sent anywhere.
 *
 * @example
 * const advice = await adviseTarget('postgres://dba@db.internal/pagila');
 * for (const s of advice.suggestions) console.log(s.score, s.kind, s.rationale);
 */
export async function adviseTarget(url: string, options: AdviseOptions = {}): Promise<Advice> {
  const target = parseTargetUrl(url);
  const connection = await connectTarget(url);
  let model: SchemaModel;
  let rowCounts: Map<string, number>;
  try {
    [model, rowCounts] = await Promise.all([connection.introspect(), connection.rowCounts()]);
  } finally {
    await connection.close();
  }
  const context: AdviceContext = {
    model,
    rowCounts,
    ...(options.minStatisticsAgeDays === undefined ? {} : { minStatisticsAgeDays: options.minStatisticsAgeDays }),
  };
  if (target.dialect === 'postgres') {
    const client = await openPostgres({ url: target.url });
    try {
      context.statistics = await readPostgresStatistics(client);
      if (options.readData) context.nullCounts = await countNulls(model, postgresNullQuery(client), quoteIdentifier);
    } finally {
      await client.end();
    }
  } else if (options.readData) {
    const db = new Database(target.path, { readonly: true, fileMustExist: true });
    try {
      context.nullCounts = await countNulls(model, sqliteNullQuery(db), quoteIdentifier);
    } finally {
      db.close();
    }
  }
  const advice = adviseModel(context, options);
  return options.llm === undefined ? advice : withLlm(advice, model, options.llm);
}

/**
 * Adds a site-local LLM's suggestions: validated and scored by llmSuggestions, then held to the
 * same plan check as the rules' own. An LLM that fails leaves the rules' advice standing.
 */
async function withLlm(advice: Advice, model: SchemaModel, llm: LlmOptions): Promise<Advice> {
  let outcome: Awaited<ReturnType<typeof llmSuggestions>>;
  try {
    outcome = await llmSuggestions(model, llm);
  } catch (error) {
    if (!(error instanceof IsotypError)) throw error;
    return {
      ...advice,
      llm: { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } },
    };
  }
  const planner = plannerOf(model.dialect);
  const kept: Suggestion[] = [];
  const statements = { ...advice.statements };
  const refused: RefusedSuggestion[] = outcome.refused.map((r) => ({
    kind: 'llm',
    object: `#${r.index}`,
    reason: r.reason,
  }));
  for (const suggestion of outcome.suggestions) {
    const checked = checkProposal(model, suggestion, planner, advice.digest);
    if (checked.ok) {
      kept.push(suggestion);
      statements[suggestionDigest(suggestion)] = checked.statements;
    } else refused.push({ kind: 'llm', object: suggestion.objects[0]?.name ?? '', reason: checked.reason });
  }
  return {
    ...advice,
    suggestions: rank([...advice.suggestions, ...kept]),
    statements,
    refused: [...advice.refused, ...refused],
    llm: { suggestions: kept.length, refused: refused.length },
  };
}

/**
 * The advisor over what was read: detectors, the plan check and the ranking. Pure, so the corpus
 * tests can run it over many schemas.
 */
export function adviseModel(context: AdviceContext, options: AdviseOptions = {}): Advice {
  const { model } = context;
  const planner = plannerOf(model.dialect);
  const live = schemaDigest(model);
  const ran: Advice['detectors'] = [];
  const suggestions: Suggestion[] = [];
  const statements: Record<string, string[]> = {};
  const refused: RefusedSuggestion[] = [];
  for (const detector of detectors) {
    const why = skipReason(detector, context, options);
    ran.push({ kind: detector.kind, ran: why === undefined, ...(why === undefined ? {} : { why }) });
    if (why !== undefined) continue;
    for (const suggestion of detector.detect(context)) {
      const checked = checkProposal(model, suggestion, planner, live);
      if (checked.ok) {
        suggestions.push(suggestion);
        statements[suggestionDigest(suggestion)] = checked.statements;
      } else refused.push({ kind: suggestion.kind, object: suggestion.objects[0]?.name ?? '', reason: checked.reason });
    }
  }
  return { dialect: model.dialect, digest: live, suggestions: rank(suggestions), statements, refused, detectors: ran };
}

/** Best first: score, then kind and object, so the order is stable from run to run. */
export function rank(suggestions: readonly Suggestion[]): Suggestion[] {
  return [...suggestions].sort(
    (a, b) =>
      b.score - a.score ||
      a.kind.localeCompare(b.kind) ||
      (a.objects[0]?.name ?? '').localeCompare(b.objects[0]?.name ?? ''),
  );
}

/**
 * Plans a suggestion's proposal against the schema it was made for: the statements that would
 * carry it out, or why it cannot stand (its edits do not fit, the plan fails, or it changes
 * nothing). A suggestion without edits (look, do not change) has no statements.
 */
export function checkProposal(
  model: SchemaModel,
  suggestion: Suggestion,
  planner: DialectPlanner = plannerOf(model.dialect),
  liveDigest: Digest<'schema'> = schemaDigest(model),
): { ok: true; statements: string[] } | { ok: false; reason: string } {
  if (suggestion.edits.length === 0) return { ok: true, statements: [] };
  try {
    const desired = applyEdits(model, suggestion.edits);
    const { plan } = createPlan(model, desired, planner, {}, { from: liveDigest });
    if (plan.ops.length === 0) return { ok: false, reason: 'the proposed edit changes nothing' };
    return { ok: true, statements: plan.ops.flatMap((op) => op.up) };
  } catch (error) {
    return { ok: false, reason: error instanceof IsotypError ? error.message : 'the proposed edit does not plan' };
  }
}

export function plannerOf(dialect: SchemaModel['dialect']): DialectPlanner {
  return dialect === 'postgres' ? postgresPlanner : sqlitePlanner;
}

function skipReason(detector: Detector, context: AdviceContext, options: AdviseOptions): string | undefined {
  if (options.kinds !== undefined && !options.kinds.includes(detector.kind)) return 'not asked for';
  if (detector.dialect !== undefined && detector.dialect !== context.model.dialect) {
    return `${detector.dialect} only`;
  }
  if ((detector.needs === 'statistics' || detector.needs === 'mature-statistics') && context.statistics === undefined) {
    return 'needs PostgreSQL statistics';
  }
  if (detector.needs === 'mature-statistics' && context.statistics !== undefined) {
    const age = statisticsAgeDays(context.statistics);
    const wanted = context.minStatisticsAgeDays ?? MATURE_STATISTICS_DAYS;
    if (age < wanted) return `statistics cover ${age.toFixed(1)} day(s); it waits for ${wanted}`;
  }
  if (detector.needs === 'data' && context.nullCounts === undefined) return 'reads data: pass --read-data';
  return undefined;
}
