import { createHash } from 'node:crypto';

export const SUM_FILE = 'isotyp.sum';

export interface SumEntry {
  file: string;
  /** Chained hash: H(previous hash ‖ file name ‖ NUL ‖ content). */
  hash: string;
}

export interface SumProblem {
  kind: 'edited' | 'removed' | 'reordered' | 'unsummed' | 'sum-missing' | 'sum-malformed';
  file: string | null;
}

/**
 * A hash chain over the migration files in order: editing, removing, inserting or reordering
 * any file changes every hash after it, and the head hash on the first line changes too.
 */
export function chain(files: { file: string; text: string }[]): SumEntry[] {
  let previous: Buffer = Buffer.alloc(32);
  return files.map(({ file, text }) => {
    const hash = createHash('sha256').update(previous).update(`${file}\u0000`).update(text).digest();
    previous = hash;
    return { file, hash: `h1:${hash.toString('base64url')}` };
  });
}

export function formatSum(entries: SumEntry[]): string {
  const head = entries.at(-1)?.hash ?? 'h1:';
  return `isotyp.sum v1 ${head}\n${entries.map((e) => `${e.file} ${e.hash}`).join('\n')}\n`;
}

export function parseSum(text: string): SumEntry[] | null {
  const [first, ...rest] = text.trimEnd().split('\n');
  if (first === undefined || !/^isotyp\.sum v1 h1:\S*$/.test(first)) return null;
  const entries: SumEntry[] = [];
  for (const line of rest) {
    const match = /^(\S+) (h1:[A-Za-z0-9_-]{43})$/.exec(line);
    if (match === null) return null;
    entries.push({ file: match[1] as string, hash: match[2] as string });
  }
  return formatSum(entries) === `${text.trimEnd()}\n` ? entries : null;
}

/** Every way the directory disagrees with its sum file, in file order. */
export function checkSum(files: { file: string; text: string }[], sumText: string | null): SumProblem[] {
  if (sumText === null) return files.length === 0 ? [] : [{ kind: 'sum-missing', file: null }];
  const recorded = parseSum(sumText);
  if (recorded === null) return [{ kind: 'sum-malformed', file: null }];
  const problems: SumProblem[] = [];
  const onDisk = new Set(files.map((f) => f.file));
  const inSum = new Map(recorded.map((e, i) => [e.file, i]));
  for (const entry of recorded) if (!onDisk.has(entry.file)) problems.push({ kind: 'removed', file: entry.file });
  const present = recorded.filter((e) => onDisk.has(e.file)).map((e) => e.file);
  const ordered = files.filter((f) => inSum.has(f.file)).map((f) => f.file);
  if (present.join('\n') !== ordered.join('\n')) problems.push({ kind: 'reordered', file: null });
  for (const f of files) if (!inSum.has(f.file)) problems.push({ kind: 'unsummed', file: f.file });
  if (problems.length === 0) {
    // Files and entries now align one to one; the first hash that differs names the edited file.
    const computed = chain(files);
    const first = computed.findIndex((entry, i) => entry.hash !== recorded[i]?.hash);
    if (first >= 0) problems.push({ kind: 'edited', file: files[first]?.file ?? null });
  }
  return problems;
}
