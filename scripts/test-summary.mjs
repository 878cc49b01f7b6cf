#!/usr/bin/env node
// Prints the closing line CI looks for, "N passed, N failed", after `pnpm check`.
//
// Passed and failed tests come from vitest's JSON report (.artifacts/vitest.json). A failed
// check step other than the tests (lint, typecheck, licences, audit, sbom; read from
// .artifacts/check-steps.txt, written by scripts/check.sh) counts as one failure too, so the
// line can never read "0 failed" on a run that failed. A missing report counts as a failure:
// it means vitest crashed or never ran. Exits 1 when the failed count is not zero.
//
// Usage: node scripts/test-summary.mjs [--dir <artifacts directory>]   (default .artifacts)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { dir: { type: 'string', default: fileURLToPath(new URL('../.artifacts', import.meta.url)) } },
});
const reportPath = join(values.dir, 'vitest.json');
const stepsPath = join(values.dir, 'check-steps.txt');

let passed = 0;
let failed = 0;
const notes = [];

if (existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  // A test file that fails to load (syntax error, bad import) has no failed tests of its own
  // but must still count.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  );
  for (const file of brokenFiles) {
    notes.push(`test file failed to run: ${file.name}`);
  }
  failed += brokenFiles.length;
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const files = (report.testResults ?? []).length;
  notes.push(`tests: ${report.numTotalTests ?? 0} in ${files} files, ${skipped} skipped or todo`);
} else {
  failed += 1;
  notes.push('no vitest report (.artifacts/vitest.json): the tests did not run or crashed');
}

if (existsSync(stepsPath)) {
  const failedSteps = readFileSync(stepsPath, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name, outcome]) => name && outcome === 'failed')
    .map(([name]) => name);
  for (const name of failedSteps) {
    if (name === 'test') {
      // Failing tests are already counted. vitest can also exit non-zero with every test
      // passing (an unhandled error, no test files): that still has to show as a failure.
      if (failed > 0) continue;
      notes.push('check step failed: test (vitest exited non-zero; counted as 1 failure)');
    } else {
      notes.push(`check step failed: ${name} (counted as 1 failure)`);
    }
    failed += 1;
  }
} else {
  failed += 1;
  notes.push('no step record (.artifacts/check-steps.txt): `pnpm check` did not run');
}

console.log('');
for (const note of notes) console.log(note);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
