import { describe, expect, it } from 'vitest';
import { closestMatches, editDistance, rankByDistance, suggestCommands } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['list', 'list', 0],
    ['lst', 'list', 1],
    ['lsit', 'list', 1], // an adjacent swap costs one, not two
    ['kitten', 'sitting', 3],
  ])('%j → %j is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe('closestMatches', () => {
  it('returns near candidates nearest first, case-insensitively', () => {
    expect(closestMatches('EXPLIAN', ['list', 'explain', 'explains'])).toEqual(['explain', 'explains']);
  });

  it('returns nothing when every candidate is far', () => {
    expect(closestMatches('nope', ['errors', 'inspect'])).toEqual([]);
  });

  it('ranks every candidate for callers that always want the nearest', () => {
    expect(rankByDistance('nope', ['inspect', 'note'])[0]).toEqual({ candidate: 'note', distance: 1 });
  });
});

describe('suggestCommands', () => {
  const ids = ['errors', 'errors list', 'errors explain', 'help', 'inspect'];

  it('compares a multi-word command with as many typed words', () => {
    expect(suggestCommands(['erors', 'lst'], ids)).toEqual(['errors list']);
  });

  it('ignores arguments typed after the command', () => {
    expect(suggestCommands(['errors', 'explian', 'ISOTYP_USAGE'], ids)).toEqual(['errors explain']);
  });

  it('suggests a topic when only the topic is mistyped', () => {
    expect(suggestCommands(['erors'], ids)).toEqual(['errors']);
  });

  it('suggests nothing for an unrelated word', () => {
    expect(suggestCommands(['nope'], ids)).toEqual([]);
  });
});
