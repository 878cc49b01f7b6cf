import { suggestionDigest } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempSqlite } from '../test-support/temp-sqlite.js';
import { adviseTarget } from './advise.js';
import {
  type OpenAiCompatibleServer,
  startOpenAiCompatibleServer,
} from './llm/test-support/openai-compatible-server.js';

/*
 * `adviseTarget` end to end on real SQLite files: the ranking, what --read-data changes, and a
 * site-local LLM (a real OpenAI-compatible peer on loopback) whose suggestions are held to the
 * same plan check as the rules' and whose failure leaves the rules' advice standing.
 */
const SQL = `
CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES author (id), title TEXT NOT NULL);
CREATE TABLE loose (a TEXT, b TEXT);
`;

const index = (name: string, column: string) => ({
  name,
  unique: false,
  keys: [{ column, expression: null, order: 'asc', nulls: null, collation: null }],
  include: [],
  where: null,
  method: null,
  comment: null,
});

let llm: OpenAiCompatibleServer;
beforeAll(async () => {
  llm = await startOpenAiCompatibleServer();
});
afterAll(async () => {
  await llm?.close();
});

describe('adviseTarget', () => {
  it('ranks rule suggestions by score and reads data only when asked', async () => {
    const path = tempSqlite(SQL);
    const db = new Database(path);
    db.prepare('INSERT INTO author (name) SELECT ? FROM (SELECT 1 UNION ALL SELECT 2)').run('x');
    for (let i = 0; i < 120; i++) db.prepare('INSERT INTO author (name) VALUES (?)').run(`a${i}`);
    db.close();
    const plain = await adviseTarget(`sqlite:${path}`);
    expect(plain.suggestions.map((s) => s.kind)).toEqual(['fk-without-index', 'missing-primary-key']);
    expect(plain.suggestions.map((s) => s.score)).toEqual(
      [...plain.suggestions.map((s) => s.score)].sort((a, b) => b - a),
    );
    expect(plain.detectors.find((d) => d.kind === 'nullable-without-nulls')).toMatchObject({ ran: false });
    // Each proposal comes with the statements it plans to; "look" suggestions have none.
    const [fk, pk] = plain.suggestions.map((s) => plain.statements[suggestionDigest(s)]);
    expect(fk?.join('\n')).toMatch(/CREATE INDEX "book_author_id_idx" ON "book" \("author_id"\)/);
    expect(pk).toEqual([]);
    const withData = await adviseTarget(`sqlite:${path}`, { readData: true });
    expect(
      withData.suggestions.filter((s) => s.kind === 'nullable-without-nulls').map((s) => s.objects[0]?.name),
    ).toEqual(['author.name']);
  });

  it('adds an LLM’s suggestions that plan, refuses those that do not, and keeps going when it fails', async () => {
    const path = tempSqlite(SQL);
    llm.setAnswer({
      type: 'completion',
      content: {
        suggestions: [
          {
            objects: [{ kind: 'column', namespace: 'main', name: 'book.title' }],
            rationale: 'Books are looked up by title.',
            edits: [{ op: 'add-index', namespace: 'main', table: 'book', index: index('book_title_idx', 'title') }],
            impact: 'medium',
            confidence: 0.6,
            risk: 'safe',
          },
          {
            objects: [{ kind: 'table', namespace: 'main', name: 'ghost' }],
            rationale: 'An invented table.',
            edits: [{ op: 'drop-index', namespace: 'main', table: 'ghost', index: 'x' }],
            impact: 'high',
            confidence: 1,
            risk: 'safe',
          },
        ],
      },
    });
    const advice = await adviseTarget(`sqlite:${path}`, { llm: { url: llm.url, model: 'local-coder' } });
    const fromLlm = advice.suggestions.filter((s) => s.source === 'llm');
    expect(fromLlm).toHaveLength(1);
    expect(fromLlm[0]).toMatchObject({ kind: 'llm', score: 39 });
    expect(advice.refused.map((r) => r.kind)).toEqual(['llm']);
    expect(advice.llm).toEqual({ suggestions: 1, refused: 1 });
    // The rules' suggestions are there too, and the ranking mixes both.
    expect(advice.suggestions.some((s) => s.kind === 'fk-without-index')).toBe(true);

    llm.setAnswer({ type: 'error', status: 503 });
    const down = await adviseTarget(`sqlite:${path}`, { llm: { url: llm.url, model: 'local-coder' } });
    expect(down.llm).toMatchObject({ error: { code: 'ISOTYP_UNAVAILABLE' } });
    expect(down.suggestions.map((s) => s.kind)).toEqual(['fk-without-index', 'missing-primary-key']);
  });
});
