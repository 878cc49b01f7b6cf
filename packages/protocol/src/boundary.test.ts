import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// protocol is the contract both sides and browsers load: it may import only its own files
// and the pure third-party packages listed here — never node: modules or another @isotyp package.
const ALLOWED_PACKAGES = new Set([
  '@marcbachmann/cel-js',
  '@noble/hashes/hmac.js',
  '@noble/hashes/sha2.js',
  'tweetnacl',
  'zod',
]);
const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) found.push((match[1] ?? match[2] ?? match[3]) as string);
  return found;
}

describe('protocol package boundary', () => {
  const files = sources(root);

  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(5);
    expect(specifiers("import { a } from 'node:fs';\nexport * from '../x.js';")).toEqual(['node:fs', '../x.js']);
  });

  it('imports no node: module, no other internal package and nothing outside its own src', () => {
    const offenders: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const isRelative = spec.startsWith('.');
        const resolved = isRelative ? join(file, '..', spec) : '';
        const ok = isRelative ? resolved.startsWith(root) : ALLOWED_PACKAGES.has(spec);
        if (!ok) offenders.push(`${file.slice(root.length)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
