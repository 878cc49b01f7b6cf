export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  /** Numbers read better right-aligned. Default `left`. */
  readonly align?: 'left' | 'right';
}

/**
 * A plain, aligned text table (two spaces between columns, no trailing spaces). No colour or
 * borders, so it stays readable when piped.
 *
 * @example
 * renderTable([{ a: 'x', n: 10 }], [
 *   { header: 'NAME', value: (r) => r.a },
 *   { header: 'N', value: (r) => String(r.n), align: 'right' },
 * ]);
 * // 'NAME   N\nx     10'
 */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => {
          const width = widths[i] ?? 0;
          return columns[i]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
