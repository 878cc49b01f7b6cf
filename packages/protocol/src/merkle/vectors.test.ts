import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyConsistency } from './consistency.js';
import { verifyInclusion } from './inclusion.js';
import { naiveVerifyConsistency, naiveVerifyInclusion } from './test-support/reference.js';

// Every file under testdata/ runs, found by walking the tree rather than by name, so a vector
// added upstream is a case here without editing this file.
const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return jsonFiles(path);
      return entry.name.endsWith('.json') ? [path] : [];
    })
    .sort();
}

// Standard base64, as the vectors use; Buffer is fine in a test.
const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
const proofOf = (proof: string[] | null): Uint8Array[] => (proof ?? []).map(bytes);

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const load = <T>(path: string): [string, T] => [relative(testdata, path), JSON.parse(readFileSync(path, 'utf8')) as T];
const inclusion = jsonFiles(join(testdata, 'inclusion')).map((p) => load<InclusionVector>(p));
const consistency = jsonFiles(join(testdata, 'consistency')).map((p) => load<ConsistencyVector>(p));

describe('transparency-dev/merkle RFC 6962 vectors', () => {
  it('finds all 196 vectors, valid and corrupted ones', () => {
    expect(inclusion.length + consistency.length).toBe(196);
    const valid = [...inclusion, ...consistency].filter(([, v]) => !v.wantErr).length;
    expect(valid).toBeGreaterThanOrEqual(10);
    expect(valid).toBeLessThan(196 - 150);
  });

  // leafIdx is 0-based: the happy path of a one-leaf tree proves index 0, and the "minus one"
  // case of it holds 2^64 - 1, which JSON.parse rounds to a non-safe integer (still rejected).
  it.each(inclusion)('inclusion %s', (_name, v) => {
    const args = [v.leafIdx, v.treeSize, bytes(v.leafHash), proofOf(v.proof), bytes(v.root)] as const;
    expect(verifyInclusion(...args)).toBe(!v.wantErr);
    expect(naiveVerifyInclusion(...args)).toBe(!v.wantErr);
  });

  it.each(consistency)('consistency %s', (_name, v) => {
    const args = [v.size1, v.size2, bytes(v.root1), bytes(v.root2), proofOf(v.proof)] as const;
    expect(verifyConsistency(...args)).toBe(!v.wantErr);
    // The reference covers only 0 < size1 < size2; the edge cases are the verifier's alone.
    if (v.size1 > 0 && v.size1 < v.size2) expect(naiveVerifyConsistency(...args)).toBe(!v.wantErr);
  });
});
