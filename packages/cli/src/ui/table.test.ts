import { describe, expect, it } from 'vitest';
import { renderTable } from './table.js';

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers and leaves no trailing spaces', () => {
    const rows = [
      { name: 'ISOTYP_USAGE', exit: 64, note: 'bad flag' },
      { name: 'ISOTYP_DIGEST_MISMATCH', exit: 3, note: '' },
    ];
    const text = renderTable(rows, [
      { header: 'CODE', value: (r) => r.name },
      { header: 'EXIT', value: (r) => String(r.exit), align: 'right' },
      { header: 'NOTE', value: (r) => r.note },
    ]);
    expect(text).toBe(
      [
        'CODE                    EXIT  NOTE',
        'ISOTYP_USAGE              64  bad flag',
        'ISOTYP_DIGEST_MISMATCH     3',
      ].join('\n'),
    );
  });

  it('prints just the header for no rows', () => {
    expect(renderTable([], [{ header: 'CODE', value: () => 'x' }])).toBe('CODE');
  });
});
