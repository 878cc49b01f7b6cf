/**
 * True when `flag` (e.g. `--json`) appears in `argv` before any `--`. Used where parsing may
 * not have happened or may have failed: the error renderer still has to honour --json and
 * --verbose.
 *
 * @example
 * argvHasFlag(['errors', 'list', '--json'], '--json'); // true
 * argvHasFlag(['--', '--json'], '--json'); // false
 */
export function argvHasFlag(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  const index = argv.indexOf(flag);
  return index !== -1 && (end === -1 || index < end);
}
