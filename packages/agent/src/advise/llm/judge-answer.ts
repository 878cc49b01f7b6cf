import {
  IsotypError,
  type SchemaModel,
  type Suggestion,
  suggestionDigest,
  suggestionSchema,
  suggestionScore,
} from '@isotyp/protocol';
import { z } from 'zod';
import { checkEdits } from '../check-edits.js';

/*
 * The LLM's answer is untrusted input. The envelope (an OpenAI chat completion carrying a JSON
 * object) must be right or the whole answer fails with a stable code; inside it, each suggestion
 * stands or falls alone and a refused one is reported with its reason.
 */

export interface LlmOutcome {
  suggestions: Suggestion[];
  /** Suggestions of the answer that were not kept: their position in it, and why. */
  refused: { index: number; reason: string }[];
}

/**
 * Reads a chat-completion body into suggestions: validated, checked against `model`, scored here,
 * highest score first, at most `maxSuggestions`.
 */
export function judgeAnswer(model: SchemaModel, text: string, maxSuggestions: number): LlmOutcome {
  return judge(model, suggestionList(completionContent(text)), maxSuggestions);
}

/** The part of an OpenAI chat completion this needs; other fields are ignored. */
const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string() }), finish_reason: z.string().nullish() }))
    .min(1),
});

function completionContent(text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', 'The LLM answer is not JSON.', {
      hint: 'Check that the LLM URL points at an OpenAI-compatible API (POST …/chat/completions).',
    });
  }
  const completion = completionSchema.safeParse(body);
  if (!completion.success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The LLM answer is not a chat completion.', {
      hint: 'Check that the LLM URL points at an OpenAI-compatible API (POST …/chat/completions).',
      details: { issues: issues(completion.error) },
    });
  }
  const [choice] = completion.data.choices;
  try {
    return JSON.parse(unfenced(choice?.message.content ?? ''));
  } catch {
    const truncated = choice?.finish_reason === 'length';
    throw new IsotypError('ISOTYP_MALFORMED_JSON', "The LLM's message is not the JSON object it was asked for.", {
      hint: truncated
        ? "The answer was cut off: raise the server's output token limit or lower maxSuggestions."
        : 'Use a model that follows JSON instructions (response_format json_object).',
      details: { finishReason: choice?.finish_reason ?? null },
    });
  }
}

/** Some models wrap JSON in a Markdown code fence even when asked not to. */
function unfenced(content: string): string {
  const match = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?\s*```\s*$/.exec(content);
  return match?.[1] ?? content;
}

function suggestionList(content: unknown): unknown[] {
  const list = isRecord(content) ? content.suggestions : undefined;
  if (!Array.isArray(list)) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The LLM answer has no "suggestions" list.', {
      hint: 'Use a model that follows JSON instructions; the answer must be {"suggestions":[…]}.',
    });
  }
  return list;
}

/** What the model proposes; kind, source, score and evidence are Isotyp's to set. */
const proposalSchema = suggestionSchema.omit({ kind: true, source: true, score: true, evidence: true });
const SET_HERE = new Set(['kind', 'source', 'score', 'evidence']);

function judge(model: SchemaModel, items: unknown[], maxSuggestions: number): LlmOutcome {
  const kept: { index: number; suggestion: Suggestion }[] = [];
  const refused: LlmOutcome['refused'] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    if (!isRecord(item)) {
      refused.push({ index, reason: 'not a JSON object' });
      continue;
    }
    const proposal = proposalSchema.safeParse(
      Object.fromEntries(Object.entries(item).filter(([key]) => !SET_HERE.has(key))),
    );
    if (!proposal.success) {
      refused.push({ index, reason: issues(proposal.error).join('; ') });
      continue;
    }
    const misfit = checkEdits(model, proposal.data.edits);
    if (misfit !== null) {
      refused.push({ index, reason: misfit });
      continue;
    }
    const scored = suggestionSchema.safeParse({
      ...proposal.data,
      kind: 'llm',
      source: 'llm',
      score: suggestionScore(proposal.data),
    });
    if (!scored.success) {
      refused.push({ index, reason: issues(scored.error).join('; ') });
      continue;
    }
    const suggestion = scored.data;
    const digest = suggestionDigest(suggestion);
    const first = seen.get(digest);
    if (first !== undefined) {
      refused.push({ index, reason: `the same proposal as suggestion ${first}` });
      continue;
    }
    seen.set(digest, index);
    kept.push({ index, suggestion });
  }
  // Array#sort is stable: equal scores keep the model's order.
  kept.sort((a, b) => b.suggestion.score - a.suggestion.score);
  for (const { index, suggestion } of kept.slice(maxSuggestions)) {
    refused.push({ index, reason: `beyond the ${maxSuggestions} best-scored suggestions (score ${suggestion.score})` });
  }
  refused.sort((a, b) => a.index - b.index);
  // Reasons can quote what the model wrote; keep each to a readable line.
  for (const r of refused) if (r.reason.length > 500) r.reason = `${r.reason.slice(0, 500)}…`;
  return { suggestions: kept.slice(0, maxSuggestions).map((k) => k.suggestion), refused };
}

/** Zod issues as short lines (`edits.0.op: Invalid input`), at most five. */
function issues(error: z.ZodError): string[] {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? '(answer)' : issue.path.join('.')}: ${issue.message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
