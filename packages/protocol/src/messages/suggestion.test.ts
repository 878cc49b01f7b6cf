import { describe, expect, it } from 'vitest';
import {
  type Suggestion,
  suggestionDigest,
  suggestionReport,
  suggestionSchema,
  suggestionScore,
} from './suggestion.js';

const suggestion: Suggestion = {
  kind: 'fk-without-index',
  source: 'rule',
  objects: [{ kind: 'foreign-key', namespace: 'public', name: 'rental.rental_customer_id_fkey' }],
  rationale: 'Deleting a customer scans rental for matching rows.',
  edits: [
    {
      op: 'add-index',
      namespace: 'public',
      table: 'rental',
      index: {
        name: 'rental_customer_id_idx',
        unique: false,
        keys: [{ column: 'customer_id', expression: null, order: 'asc', nulls: null, collation: null }],
        include: [],
        where: null,
        method: 'btree',
        comment: null,
      },
    },
  ],
  impact: 'high',
  confidence: 0.9,
  risk: 'safe',
  score: 90,
};

describe('suggestions', () => {
  it('scores by the documented formula: 100 × impact weight × confidence × risk factor', () => {
    expect(suggestionScore({ impact: 'high', confidence: 0.9, risk: 'safe' })).toBe(90);
    expect(suggestionScore({ impact: 'high', confidence: 1, risk: 'destructive' })).toBe(55);
    expect(suggestionScore({ impact: 'medium', confidence: 0.5, risk: 'caution' })).toBe(26);
    expect(suggestionScore({ impact: 'low', confidence: 2, risk: 'safe' })).toBe(35);
  });

  it('digests the proposal, not its wording or score', () => {
    const reworded = { ...suggestion, rationale: 'Other words.', score: 12, confidence: 0.1 };
    expect(suggestionDigest(reworded)).toBe(suggestionDigest(suggestion));
    const otherEdit = { ...suggestion, edits: [] };
    expect(suggestionDigest(otherEdit)).not.toBe(suggestionDigest(suggestion));
  });

  it('reports object names only where the privacy mode allows, and never the edits', () => {
    const digestOnly = suggestionReport(suggestion, 'digest');
    expect(digestOnly.objects).toEqual([]);
    expect(JSON.stringify(digestOnly)).not.toContain('customer_id');
    const structure = suggestionReport(suggestion, 'structure');
    expect(structure.objects).toEqual(suggestion.objects);
    expect(structure).toMatchObject({ editCount: 1, score: 90, digest: suggestionDigest(suggestion) });
    expect(JSON.stringify(structure)).not.toContain('rental_customer_id_idx');
  });

  it('refuses an unknown edit, a score out of range and an unknown kind', () => {
    expect(suggestionSchema.safeParse(suggestion).success).toBe(true);
    expect(suggestionSchema.safeParse({ ...suggestion, edits: [{ op: 'drop-table', table: 'x' }] }).success).toBe(
      false,
    );
    expect(suggestionSchema.safeParse({ ...suggestion, score: 101 }).success).toBe(false);
    expect(suggestionSchema.safeParse({ ...suggestion, kind: 'vibes' }).success).toBe(false);
  });
});
