#!/usr/bin/env node
// Dependency licence check: every installed third-party package, production and development,
// must carry a licence from the allow-list in scripts/licence-allow.json, or be named there as
// an exception with a reason.
//
// Licences are SPDX expressions: "A OR B" passes when either side is allowed (we may choose),
// "A AND B" only when both are (we must comply with both). Anything that does not parse as SPDX
// ("Unknown", "SEE LICENSE IN ...", custom text) fails unless listed as an exception.
//
// Usage: node scripts/licence-check.mjs [--input <saved pnpm licenses list --json output>]
//   --input checks a saved listing instead of the installed packages (to test this script).
// Exit: 0 all allowed; 1 offenders; 2 could not check.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import parseSpdx from 'spdx-expression-parse';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POLICY_PATH = fileURLToPath(new URL('./licence-allow.json', import.meta.url));

/** True when the parsed SPDX expression is satisfiable with allowed licences only. */
function satisfies(node, allowed) {
  if (node.conjunction === 'or') return satisfies(node.left, allowed) || satisfies(node.right, allowed);
  if (node.conjunction === 'and') return satisfies(node.left, allowed) && satisfies(node.right, allowed);
  // A leaf: { license, plus?, exception? }. "X+" (or later) and "X WITH <exception>" only ever
  // add permissions to X, so they are acceptable whenever X is.
  return allowed.has(node.license);
}

/**
 * Decides one package's licence. Returns { ok, via } where via is 'allow-list', 'exception'
 * or a short reason for refusing.
 */
export function judgeLicence(name, licence, policy) {
  const exception = policy.exceptions.find((e) => e.licence === licence && globMatches(e.package, name));
  if (exception) return { ok: true, via: 'exception', exception };
  let ast;
  try {
    ast = parseSpdx(licence);
  } catch {
    return { ok: false, via: 'not a valid SPDX expression' };
  }
  return satisfies(ast, new Set(policy.allowed))
    ? { ok: true, via: 'allow-list' }
    : { ok: false, via: 'not on the allow-list' };
}

/** Package-name match where '*' stands for any run of characters. */
function globMatches(pattern, name) {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(name);
}

/**
 * Every installed package as { name, version, licence }, from `pnpm licenses list --json`
 * (or from a saved copy of its output).
 */
function installedPackages(inputPath) {
  let listing;
  if (inputPath) {
    listing = readFileSync(inputPath, 'utf8');
  } else {
    // Without --prod or --dev pnpm reports both, across the whole workspace.
    const result = spawnSync('pnpm', ['licenses', 'list', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.status !== 0) {
      throw new Error(`pnpm licenses list failed (exit ${result.status}):\n${result.stderr || result.stdout}`);
    }
    listing = result.stdout;
  }
  const byLicence = JSON.parse(listing);
  const packages = [];
  for (const [licence, entries] of Object.entries(byLicence)) {
    for (const entry of entries) {
      for (const version of entry.versions) packages.push({ name: entry.name, version, licence });
    }
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function main() {
  const { values } = parseArgs({ options: { input: { type: 'string' } } });
  const policy = JSON.parse(readFileSync(POLICY_PATH, 'utf8'));
  let packages;
  try {
    packages = installedPackages(values.input);
  } catch (error) {
    console.error(`licence check: could not list dependencies: ${error.message}`);
    return 2;
  }

  const counts = new Map();
  const offenders = [];
  const excepted = [];
  const usedExceptions = new Set();
  for (const pkg of packages) {
    counts.set(pkg.licence, (counts.get(pkg.licence) ?? 0) + 1);
    const verdict = judgeLicence(pkg.name, pkg.licence, policy);
    if (!verdict.ok) offenders.push({ ...pkg, why: verdict.via });
    if (verdict.via === 'exception') {
      excepted.push({ ...pkg, reason: verdict.exception.reason });
      usedExceptions.add(verdict.exception);
    }
  }

  console.log(`licence check: ${packages.length} packages, ${counts.size} distinct licences`);
  const width = Math.max(...[...counts.keys()].map((l) => l.length));
  for (const [licence, count] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    console.log(`  ${licence.padEnd(width)}  ${String(count).padStart(4)}`);
  }
  for (const pkg of excepted) {
    console.log(`  allowed by exception: ${pkg.name}@${pkg.version} (${pkg.licence}): ${pkg.reason}`);
  }
  // Stale exceptions are harmless but should be pruned so the list stays a true record.
  for (const exception of policy.exceptions.filter((e) => !usedExceptions.has(e))) {
    console.log(`  note: exception for ${exception.package} (${exception.licence}) matched nothing`);
  }

  if (offenders.length > 0) {
    console.error(`\nlicence check FAILED: ${offenders.length} package(s) with licences not allowed:`);
    for (const pkg of offenders) console.error(`  ${pkg.name}@${pkg.version}  ${pkg.licence}  (${pkg.why})`);
    console.error(`Replace the dependency, or add a reviewed exception to ${POLICY_PATH}.`);
    return 1;
  }
  console.log('licence check passed');
  return 0;
}

// Run only when executed directly, so judgeLicence can be imported by tests.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main();
}
