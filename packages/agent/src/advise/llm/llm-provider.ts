import { IsotypError, isIsotypError, type SchemaModel } from '@isotyp/protocol';
import { judgeAnswer, type LlmOutcome } from './judge-answer.js';
import { systemPrompt, userPrompt } from './prompt.js';
import { readCapped } from './read-capped.js';
import { schemaMetadata } from './schema-metadata.js';

/*
 * An optional schema advisor backed by an OpenAI-compatible chat endpoint the site runs itself
 * (llama.cpp, vLLM, Ollama, LocalAI…). It sends the schema's structure and nothing else (see
 * schema-metadata.ts), contacts only the URL it is given (redirects are refused), and treats the
 * answer as untrusted input: every suggestion is validated, checked against the live model and
 * scored here — the model's own score, kind or evidence are never kept.
 */

export interface LlmOptions {
  /**
   * Base URL of an OpenAI-compatible API, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions`
   * is appended. It should be site-local: the schema's structure is sent there. A remote host is
   * accepted because that is the site's decision, but credentials in the URL and schemes other
   * than http(s) are refused.
   */
  url: string;
  /** The model name the server knows, e.g. `qwen2.5-coder:7b`. */
  model: string;
  /** Sent as `Authorization: Bearer …` when set; never logged, never in an error. */
  apiKey?: string;
  /** For the whole exchange, body included. */
  timeoutMs?: number;
  /** Suggestions kept, highest score first. */
  maxSuggestions?: number;
  /** Injected for tests or proxies of the site's choosing; the global fetch by default. */
  fetch?: typeof fetch;
}

export type { LlmOutcome };

/** Answers larger than this are refused, by Content-Length or as soon as the stream passes it. */
export const LLM_MAX_RESPONSE_BYTES = 1_000_000;

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_SUGGESTIONS = 20;

/**
 * Asks a site-local LLM for schema suggestions about `model`.
 *
 * @example
 * const { suggestions, refused } = await llmSuggestions(model, {
 *   url: 'http://127.0.0.1:11434/v1',
 *   model: 'qwen2.5-coder:7b',
 * });
 */
export async function llmSuggestions(model: SchemaModel, options: LlmOptions): Promise<LlmOutcome> {
  const endpoint = chatCompletionsUrl(options.url);
  const timeoutMs = positiveInteger(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const maxSuggestions = positiveInteger(options.maxSuggestions ?? DEFAULT_MAX_SUGGESTIONS, 'maxSuggestions');
  if (options.model.trim() === '') {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The LLM provider has no model name.', {
      hint: 'Configure the name of a model the server at the LLM URL serves.',
    });
  }
  const request = {
    model: options.model,
    messages: [
      { role: 'system', content: systemPrompt(maxSuggestions) },
      { role: 'user', content: userPrompt(schemaMetadata(model)) },
    ],
    temperature: 0,
    response_format: { type: 'json_object' },
  };
  const text = await post(endpoint, request, options, timeoutMs);
  return judgeAnswer(model, text, maxSuggestions);
}

/** The endpoint, after refusing what must never be contacted or leak. */
function chatCompletionsUrl(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    // Not echoed: a malformed URL may still hold a password.
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The LLM URL is not a valid URL.', {
      hint: 'Configure the base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1.',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new IsotypError(
      'ISOTYP_CONFIG_INVALID',
      `The LLM URL uses ${url.protocol}; only http: and https: are allowed.`,
      {
        hint: 'Configure the http(s) base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1.',
      },
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The LLM URL contains credentials.', {
      hint: 'Remove user:password@ from the URL and configure the API key separately.',
    });
  }
  url.hash = '';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `The LLM option ${name} must be a positive integer.`, {
      hint: `Set ${name} to a whole number above 0, or leave it out for the default.`,
    });
  }
  return value;
}

/** Where, for messages: without the query, which some gateways use for keys. */
const shown = (url: URL) => `${url.origin}${url.pathname}`;

async function post(endpoint: URL, request: object, options: LlmOptions, timeoutMs: number): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await (options.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
      signal,
      // Following a redirect would contact a URL nobody configured.
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw statusError(response.status, endpoint, options.model);
    }
    return await readCapped(response, LLM_MAX_RESPONSE_BYTES, shown(endpoint));
  } catch (error) {
    if (isIsotypError(error)) throw error;
    if (signal.aborted) {
      throw new IsotypError('ISOTYP_TIMEOUT', `The LLM at ${shown(endpoint)} did not answer within ${timeoutMs} ms.`, {
        hint: 'Raise the LLM timeout, use a smaller model, or check that the model server is not overloaded.',
        details: { timeoutMs },
      });
    }
    throw new IsotypError('ISOTYP_UNAVAILABLE', `The LLM at ${shown(endpoint)} could not be reached.`, {
      hint: 'Check that the model server is running and the LLM URL points at it; redirects are not followed.',
      cause: error,
    });
  }
}

function statusError(status: number, endpoint: URL, model: string): IsotypError {
  const where = shown(endpoint);
  const details = { status };
  if (status === 401 || status === 403) {
    return new IsotypError('ISOTYP_CONFIG_INVALID', `The LLM at ${where} refused the request (HTTP ${status}).`, {
      hint: 'Check the API key configured for the LLM provider.',
      details,
    });
  }
  if (status === 404) {
    return new IsotypError('ISOTYP_CONFIG_INVALID', `The LLM at ${where} answered HTTP 404 for model ${model}.`, {
      hint: 'Check the LLM URL (it usually ends in /v1) and that the server serves that model.',
      details,
    });
  }
  if (status === 429) {
    return new IsotypError('ISOTYP_RATE_LIMITED', `The LLM at ${where} is rate limiting (HTTP 429).`, {
      hint: 'Try again later.',
      details,
    });
  }
  if (status >= 400 && status < 500) {
    return new IsotypError('ISOTYP_INVALID_INPUT', `The LLM at ${where} rejected the request (HTTP ${status}).`, {
      hint: 'Check that the model supports JSON output (response_format json_object) and that the schema fits its context.',
      details,
    });
  }
  return new IsotypError('ISOTYP_UNAVAILABLE', `The LLM at ${where} failed (HTTP ${status}).`, {
    hint: "Check the model server's own log; retry when it is healthy.",
    details,
  });
}
