/**
 * "Did you mean …?" helpers. Pure functions: no oclif, no I/O.
 */

/**
 * Edit distance between two strings (optimal string alignment: insertions, deletions,
 * substitutions and swaps of adjacent characters each cost 1). Case-sensitive.
 *
 * @example
 * editDistance('lsit', 'list'); // 1
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the swap rule looks two rows back.
  let previous2: number[] = [];
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] ?? 0) + 1, // deletion
        (current[j - 1] ?? 0) + 1, // insertion
        (previous[j - 1] ?? 0) + cost, // substitution
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (previous2[j - 2] ?? 0) + 1); // swap
      }
      current.push(best);
    }
    previous2 = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The largest distance still worth suggesting for an input of this length. */
export function suggestionThreshold(input: string): number {
  return Math.max(1, Math.floor(input.length / 3));
}

export interface Ranked {
  readonly candidate: string;
  readonly distance: number;
}

/**
 * Every candidate with its distance to `input` (case-insensitive), nearest first; ties keep
 * the candidates' order.
 *
 * @example
 * rankByDistance('lst', ['list', 'explain'])[0]; // { candidate: 'list', distance: 1 }
 */
export function rankByDistance(input: string, candidates: readonly string[]): Ranked[] {
  const needle = input.toLowerCase();
  return candidates
    .map((candidate) => ({ candidate, distance: editDistance(needle, candidate.toLowerCase()) }))
    .sort((x, y) => x.distance - y.distance);
}

/**
 * Candidates close enough to `input` to suggest, nearest first, at most `limit`.
 *
 * @example
 * closestMatches('erors', ['errors', 'inspect']); // ['errors']
 */
export function closestMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const threshold = suggestionThreshold(input);
  return rankByDistance(input, candidates)
    .filter((r) => r.distance <= threshold)
    .slice(0, limit)
    .map((r) => r.candidate);
}

/**
 * Commands (space-separated ids such as `errors list`) close to what the user typed. A
 * command of N words is compared with the first N words typed, so `erors lst` still finds
 * `errors list` while extra arguments after the command do not count against it.
 *
 * @example
 * suggestCommands(['erors', 'list'], ['errors list', 'errors explain']); // ['errors list']
 */
export function suggestCommands(typedWords: readonly string[], commandIds: readonly string[], limit = 3): string[] {
  const scored = commandIds.map((id) => {
    const wordCount = id.split(' ').length;
    const typed = typedWords.slice(0, wordCount).join(' ');
    return { id, typed, distance: editDistance(typed.toLowerCase(), id.toLowerCase()) };
  });
  const near = scored.filter((s) => s.typed.length > 0 && s.distance <= suggestionThreshold(s.id));
  // `errors` is no help when `errors list` is also near: prefer the longer, more specific id.
  return near
    .filter((s) => !near.some((other) => other.id.startsWith(`${s.id} `)))
    .sort((x, y) => x.distance - y.distance || x.id.localeCompare(y.id))
    .slice(0, limit)
    .map((s) => s.id);
}
