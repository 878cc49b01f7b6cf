import { type IsotypError, isIsotypError, type SchemaModel, suggestionSchema } from '@isotyp/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectTarget } from '../../inspect.js';
import { tempSqlite } from '../../test-support/temp-sqlite.js';
import { LLM_MAX_RESPONSE_BYTES, type LlmOptions, llmSuggestions } from './llm-provider.js';
import { schemaMetadata } from './schema-metadata.js';
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from './test-support/openai-compatible-server.js';

// Values that must never leave the site: a row, a default, a comment, in the model or the DDL text.
const ROW_VALUE = 'row-value-4b1d@example.com';
const ROW_TOKEN = 'tok-row-9e8d21';
const DEFAULT_SECRET = 'sk-default-7f3a9c';
const COMMENT_SECRET = 'zq-comment-secret-55e1';

const SCHEMA = `
  CREATE TABLE customer (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    api_token TEXT DEFAULT '${DEFAULT_SECRET}' -- ${COMMENT_SECRET}
  );
  CREATE UNIQUE INDEX customer_email ON customer (email);
  CREATE TABLE invoice (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    total NUMERIC
  );
  CREATE TABLE audit_note (body TEXT, created_at TEXT);
  INSERT INTO customer (email, api_token) VALUES ('${ROW_VALUE}', '${ROW_TOKEN}');
`;

const indexOn = (name: string, column: string) => ({
  name,
  unique: false,
  keys: [{ column, expression: null, order: 'asc', nulls: null, collation: null }],
  include: [],
  where: null,
  method: null,
  comment: null,
});

/** A suggestion as a model would write it, valid against SCHEMA unless a test spoils it. */
const fkIndex = (overrides: Record<string, unknown> = {}) => ({
  objects: [{ kind: 'table', namespace: 'main', name: 'invoice' }],
  rationale: 'invoice.customer_id references customer but has no index.',
  edits: [
    { op: 'add-index', namespace: 'main', table: 'invoice', index: indexOn('invoice_customer_id_idx', 'customer_id') },
  ],
  impact: 'high',
  confidence: 0.9,
  risk: 'safe',
  ...overrides,
});

let server: OpenAiCompatibleServer;
let model: SchemaModel;
let dbPath: string;

beforeAll(async () => {
  server = await startOpenAiCompatibleServer();
  dbPath = tempSqlite(SCHEMA);
  const inspected = await inspectTarget(`sqlite:${dbPath}`);
  // SQLite has no COMMENT ON; give the column the comment PostgreSQL introspection would carry.
  model = structuredClone(inspected.model);
  for (const table of model.namespaces[0]?.tables ?? []) {
    table.comment = `table note ${COMMENT_SECRET}`;
    for (const column of table.columns) if (column.name === 'api_token') column.comment = COMMENT_SECRET;
  }
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const options = (extra: Partial<LlmOptions> = {}): LlmOptions => ({ url: server.url, model: 'local-coder', ...extra });

const messages = (body: unknown) => (body as { messages: { role: string; content: string }[] }).messages;

async function failure(promise: Promise<unknown>): Promise<IsotypError> {
  try {
    await promise;
  } catch (error) {
    if (isIsotypError(error)) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}

describe('llmSuggestions against an OpenAI-compatible loopback server', () => {
  it('keeps valid suggestions as kind llm, source llm, with the score computed here', async () => {
    server.setAnswer({
      type: 'completion',
      content: {
        suggestions: [
          fkIndex({ score: 3, kind: 'fk-without-index', source: 'rule', evidence: { seqScans: 1e9 } }),
          {
            objects: [{ kind: 'table', namespace: 'main', name: 'audit_note' }],
            rationale: 'audit_note has no primary key.',
            edits: [{ op: 'add-primary-key', namespace: 'main', table: 'audit_note', columns: ['body', 'created_at'] }],
            impact: 'medium',
            confidence: 0.5,
            risk: 'caution',
            score: 100,
          },
        ],
      },
    });
    const outcome = await llmSuggestions(model, options());

    expect(outcome.refused).toEqual([]);
    expect(outcome.suggestions.map((s) => [s.kind, s.source, s.score])).toEqual([
      ['llm', 'llm', 90], // round(100 × 1 × 0.9 × 1), not the 3 the model claimed
      ['llm', 'llm', 26], // round(100 × 0.65 × 0.5 × 0.8), not 100
    ]);
    expect(outcome.suggestions[0]?.evidence).toBeUndefined();
    expect(outcome.suggestions[0]?.edits[0]).toMatchObject({ op: 'add-index', table: 'invoice' });
    for (const suggestion of outcome.suggestions) expect(suggestionSchema.parse(suggestion)).toEqual(suggestion);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.body).toMatchObject({
      model: 'local-coder',
      temperature: 0,
      response_format: { type: 'json_object' },
      messages: [{ role: 'system' }, { role: 'user' }],
    });
  });

  it('sends the structure of the schema and no row, default, comment or path', async () => {
    // The fixture does hold what must not leave, so the absence below means something.
    const whole = JSON.stringify(model);
    for (const secret of [DEFAULT_SECRET, COMMENT_SECRET]) expect(whole).toContain(secret);

    await llmSuggestions(model, options({ apiKey: 'site-key-31337' }));
    const [request] = server.requests;
    const sent = JSON.stringify(request?.body);
    const user = messages(request?.body)[1]?.content ?? '';

    for (const name of ['customer', 'customer_id', 'api_token', 'audit_note', 'customer_email', 'created_at']) {
      expect(user).toContain(name);
    }
    expect(user).toContain(JSON.stringify(schemaMetadata(model)));
    const invoice = schemaMetadata(model).namespaces[0]?.tables.find((t) => t.name === 'invoice');
    expect(invoice?.foreignKeys).toEqual([
      { columns: ['customer_id'], refNamespace: null, refTable: 'customer', refColumns: ['id'] },
    ]);
    expect(invoice?.indexes).toEqual([]);
    for (const secret of [ROW_VALUE, ROW_TOKEN, DEFAULT_SECRET, COMMENT_SECRET, 'site-key-31337', dbPath]) {
      expect(sent).not.toContain(secret);
    }
    expect(request?.headers.authorization).toBe('Bearer site-key-31337');
  });

  it('tells the model the edit operations the validator accepts', async () => {
    await llmSuggestions(model, options({ maxSuggestions: 7 }));
    const system = messages(server.requests[0]?.body)[0]?.content ?? '';
    for (const op of ['add-index', 'drop-index', 'add-primary-key', 'alter-column-type', 'set-not-null']) {
      expect(system).toContain(`"const":"${op}"`);
    }
    expect(system).toContain('at most 7 suggestions');
  });

  it('refuses suggestions that are malformed or do not fit the live schema, and keeps the rest', async () => {
    server.setAnswer({
      type: 'completion',
      content: {
        suggestions: [
          fkIndex(),
          fkIndex({ edits: [{ op: 'set-not-null', namespace: 'main', table: 'no_such_table', column: 'x' }] }),
          fkIndex({ edits: [{ op: 'drop-table', namespace: 'main', table: 'invoice' }] }),
          fkIndex({ confidence: 1.5 }),
          fkIndex({ edits: [{ op: 'drop-index', namespace: 'main', table: 'customer', index: 'no_such_index' }] }),
          fkIndex({
            edits: [
              { op: 'add-index', namespace: 'main', table: 'invoice', index: indexOn('customer_email', 'total') },
            ],
          }),
          fkIndex({ edits: [{ op: 'add-index', namespace: 'main', table: 'invoice', index: indexOn('i_x', 'nope') }] }),
          fkIndex({ edits: [{ op: 'add-primary-key', namespace: 'main', table: 'customer', columns: ['email'] }] }),
          fkIndex({
            edits: [{ op: 'alter-column-type', namespace: 'main', table: 'invoice', column: 'ghost', type: 'text' }],
          }),
          'add an index please',
          fkIndex({ edits: [{ op: 'drop-index', namespace: 'main', table: 'customer', index: 'customer_email' }] }),
        ],
      },
    });
    const { suggestions, refused } = await llmSuggestions(model, options());

    expect(suggestions).toHaveLength(2);
    expect(suggestions.map((s) => s.edits[0]?.op)).toEqual(['add-index', 'drop-index']);
    expect(refused.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const reason = (i: number) => refused.find((r) => r.index === i)?.reason ?? '';
    expect(reason(1)).toMatch(/table "main\.no_such_table" does not exist/);
    expect(reason(2)).toMatch(/^edits\.0\.op: /);
    expect(reason(3)).toMatch(/^confidence: /);
    expect(reason(4)).toMatch(/has no index "no_such_index"/);
    expect(reason(5)).toMatch(/name "customer_email" is already taken/);
    expect(reason(6)).toMatch(/has no column "nope"/);
    expect(reason(7)).toMatch(/already has a primary key/);
    expect(reason(8)).toMatch(/has no column "ghost"/);
    expect(reason(9)).toBe('not a JSON object');
    for (const { reason } of refused) expect(reason).not.toMatch(/\n\s+at /);
  });

  it('keeps at most maxSuggestions, the best scored, and drops repeats', async () => {
    server.setAnswer({
      type: 'completion',
      content: {
        suggestions: [
          fkIndex({ confidence: 0.2 }),
          fkIndex({ confidence: 0.8, edits: [] }),
          fkIndex({ confidence: 0.8, edits: [] }),
          fkIndex({
            confidence: 0.6,
            risk: 'caution',
            edits: [],
            objects: [{ kind: 'table', namespace: 'main', name: 'audit_note' }],
          }),
        ],
      },
    });
    const { suggestions, refused } = await llmSuggestions(model, options({ maxSuggestions: 2 }));
    expect(suggestions.map((s) => s.score)).toEqual([80, 48]);
    expect(refused).toEqual([
      { index: 0, reason: 'beyond the 2 best-scored suggestions (score 20)' },
      { index: 2, reason: 'the same proposal as suggestion 1' },
    ]);
  });

  it('accepts JSON wrapped in a Markdown fence', async () => {
    server.setAnswer({
      type: 'completion',
      content: `\`\`\`json\n${JSON.stringify({ suggestions: [fkIndex()] })}\n\`\`\``,
    });
    expect((await llmSuggestions(model, options())).suggestions).toHaveLength(1);
  });

  it('fails with ISOTYP_MALFORMED_JSON when the message is not JSON', async () => {
    server.setAnswer({ type: 'completion', content: 'Sure! Here are my suggestions: {"suggestions": [' });
    const error = await failure(llmSuggestions(model, options()));
    expect(error.code).toBe('ISOTYP_MALFORMED_JSON');
    expect(error.hint).toBeTruthy();

    server.setAnswer({ type: 'completion', content: '{"suggestions": [', finishReason: 'length' });
    expect((await failure(llmSuggestions(model, options()))).hint).toMatch(/cut off/);
  });

  it('fails with ISOTYP_INVALID_INPUT when the answer is not a chat completion or has no list', async () => {
    server.setAnswer({ type: 'raw', text: JSON.stringify({ result: 'ok' }) });
    expect(await failure(llmSuggestions(model, options()))).toMatchObject({
      code: 'ISOTYP_INVALID_INPUT',
      message: 'The LLM answer is not a chat completion.',
    });
    server.setAnswer({ type: 'completion', content: { advice: 'add indexes' } });
    expect((await failure(llmSuggestions(model, options()))).message).toMatch(/no "suggestions" list/);
    server.setAnswer({ type: 'raw', text: '<html>proxy error</html>', contentType: 'text/html' });
    expect((await failure(llmSuggestions(model, options()))).code).toBe('ISOTYP_MALFORMED_JSON');
  });

  it('fails with ISOTYP_UNAVAILABLE on HTTP 500, and keeps the API key out of errors', async () => {
    server.setAnswer({ type: 'error', status: 500, message: 'model crashed' });
    const error = await failure(llmSuggestions(model, options({ apiKey: 'site-key-31337' })));
    expect(error.code).toBe('ISOTYP_UNAVAILABLE');
    expect(error.details).toEqual({ status: 500 });
    expect(error.message).toContain(`${server.url}/chat/completions`);

    server.setAnswer({ type: 'error', status: 401, message: 'bad key' });
    const refused = await failure(llmSuggestions(model, options({ apiKey: 'site-key-31337' })));
    expect(refused.code).toBe('ISOTYP_CONFIG_INVALID');
    for (const e of [error, refused]) expect(JSON.stringify({ ...e.toJSON(), h: e.hint })).not.toContain('site-key');
  });

  it('fails with ISOTYP_TIMEOUT when the server is slower than timeoutMs', async () => {
    server.setAnswer({ type: 'completion', content: { suggestions: [] }, delayMs: 5_000 });
    const started = Date.now();
    const error = await failure(llmSuggestions(model, options({ timeoutMs: 200 })));
    expect(error.code).toBe('ISOTYP_TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('fails with ISOTYP_PAYLOAD_TOO_LARGE on an oversized answer, streamed or declared', async () => {
    for (const declareLength of [false, true]) {
      server.setAnswer({ type: 'oversized', bytes: LLM_MAX_RESPONSE_BYTES * 4, declareLength });
      const error = await failure(llmSuggestions(model, options()));
      expect(error.code).toBe('ISOTYP_PAYLOAD_TOO_LARGE');
    }
  });

  it('refuses a URL with credentials or another scheme before sending anything', async () => {
    const withCredentials = server.url.replace('http://', 'http://admin:hunter2@');
    const error = await failure(llmSuggestions(model, options({ url: withCredentials })));
    expect(error.code).toBe('ISOTYP_CONFIG_INVALID');
    expect(`${error.message} ${error.hint}`).not.toContain('hunter2');
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/v1', 'not a url']) {
      expect((await failure(llmSuggestions(model, options({ url })))).code).toBe('ISOTYP_CONFIG_INVALID');
    }
    expect(server.requests).toHaveLength(0);
  });

  it('contacts only the configured URL: a redirect is not followed', async () => {
    const elsewhere = await startOpenAiCompatibleServer();
    try {
      server.setAnswer({ type: 'redirect', location: `${elsewhere.url}/chat/completions` });
      const error = await failure(llmSuggestions(model, options()));
      expect(error.code).toBe('ISOTYP_UNAVAILABLE');
      expect(server.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('fails with ISOTYP_UNAVAILABLE when nothing listens at the URL', async () => {
    const gone = await startOpenAiCompatibleServer();
    await gone.close();
    expect((await failure(llmSuggestions(model, options({ url: gone.url })))).code).toBe('ISOTYP_UNAVAILABLE');
  });
});
