import { describe, expect, it } from 'vitest';
import { argvHasFlag } from './argv.js';

describe('argvHasFlag', () => {
  it('finds a flag anywhere before --', () => {
    expect(argvHasFlag(['errors', 'list', '--json'], '--json')).toBe(true);
    expect(argvHasFlag(['--json', '--', 'x'], '--json')).toBe(true);
  });

  it('ignores the flag after -- and partial matches', () => {
    expect(argvHasFlag(['errors', '--', '--json'], '--json')).toBe(false);
    expect(argvHasFlag(['--jsonx'], '--json')).toBe(false);
  });
});
