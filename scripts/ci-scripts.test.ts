import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * The CI helper scripts decide whether a build passes, so their decisions are tested here
 * through their command lines, fed saved tool output (--input) instead of live pnpm calls.
 */

const scripts = fileURLToPath(new URL('.', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'isotyp-ci-scripts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let fileCount = 0;
function file(content: unknown): string {
  const path = join(tmp, `input-${fileCount++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function run(script: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(scripts, script), ...args], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('licence-check', () => {
  /** A `pnpm licenses list --json` listing with one package per licence string. */
  const listing = (entries: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(entries).map(([name, licence]) => [licence, [{ name, versions: ['1.0.0'], license: licence }]]),
    );

  it('passes permissive licences, OR choices and AND combinations of allowed ids', () => {
    const input = file(
      listing({ a: 'MIT', b: '(MIT OR GPL-3.0)', c: 'Apache-2.0 AND ISC', d: 'Apache-2.0 WITH LLVM-exception' }),
    );
    const { status, output } = run('licence-check.mjs', ['--input', input]);
    expect(output).toContain('licence check passed');
    expect(status).toBe(0);
  });

  it('fails copyleft, an AND with a refused licence, and non-SPDX text, naming each package', () => {
    const input = file(listing({ gpl: 'GPL-3.0-only', mixed: 'MIT AND AGPL-3.0', odd: 'SEE LICENSE IN LICENSE.txt' }));
    const { status, output } = run('licence-check.mjs', ['--input', input]);
    expect(status).toBe(1);
    expect(output).toContain('gpl@1.0.0  GPL-3.0-only');
    expect(output).toContain('mixed@1.0.0  MIT AND AGPL-3.0');
    expect(output).toContain('odd@1.0.0  SEE LICENSE IN LICENSE.txt  (not a valid SPDX expression)');
  });

  it('admits a listed exception only under its stated licence', () => {
    const allowed = run('licence-check.mjs', ['--input', file(listing({ 'lightningcss-linux-arm64-gnu': 'MPL-2.0' }))]);
    expect(allowed.status).toBe(0);
    expect(allowed.output).toContain('allowed by exception: lightningcss-linux-arm64-gnu@1.0.0');
    const changed = run('licence-check.mjs', ['--input', file(listing({ lightningcss: 'GPL-2.0-only' }))]);
    expect(changed.status).toBe(1);
  });
});

describe('audit', () => {
  const report = (severity: string) => ({
    advisories: {
      '1': {
        id: 1,
        module_name: 'foo',
        severity,
        title: 'Prototype pollution in foo',
        url: 'https://example.invalid/1',
        vulnerable_versions: '<1.2.4',
        patched_versions: '>=1.2.4',
        findings: [{ version: '1.2.3', paths: ['packages__cli>foo'] }],
      },
    },
    metadata: { totalDependencies: 10 },
  });

  it('fails on high and critical advisories and lists them', () => {
    for (const severity of ['high', 'critical']) {
      const { status, output } = run('audit.mjs', ['--input', file(report(severity))]);
      expect(status).toBe(1);
      expect(output).toContain('foo@1.2.3  Prototype pollution in foo');
    }
  });

  it('passes lower severities and a clean report', () => {
    expect(run('audit.mjs', ['--input', file(report('moderate'))]).status).toBe(0);
    expect(run('audit.mjs', ['--input', file({ advisories: {}, metadata: {} })]).status).toBe(0);
  });

  it('skips, and passes, when the advisory service does not answer', () => {
    const replies = [
      { error: { code: 'ERR_PNPM_AUDIT_BAD_RESPONSE', message: 'responded with 405' } },
      { error: { code: 'ERR_PNPM_AUDIT_ENDPOINT_NOT_EXISTS', message: 'does not exist' } },
      { error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' } },
      { error: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND registry' } },
      '<html>502 Bad Gateway</html>',
    ];
    for (const reply of replies) {
      const { status, output } = run('audit.mjs', ['--input', file(reply)]);
      expect(output).toContain('audit skipped: advisory service did not answer (');
      expect(status).toBe(0);
    }
  });

  it('fails when the audit cannot run for a local reason', () => {
    const reply = { error: { code: 'ERR_PNPM_AUDIT_NO_LOCKFILE', message: 'No pnpm-lock.yaml found' } };
    expect(run('audit.mjs', ['--input', file(reply)]).status).toBe(2);
  });
});

describe('test-summary', () => {
  function summarise(report: unknown, steps: string): { status: number | null; lastLine: string } {
    const dir = mkdtempSync(join(tmp, 'artifacts-'));
    if (report !== undefined) writeFileSync(join(dir, 'vitest.json'), JSON.stringify(report));
    writeFileSync(join(dir, 'check-steps.txt'), steps);
    const { status, output } = run('test-summary.mjs', ['--dir', dir]);
    return { status, lastLine: output.trimEnd().split('\n').at(-1) ?? '' };
  }
  const vitest = (passed: number, failed: number) => ({
    numPassedTests: passed,
    numFailedTests: failed,
    numTotalTests: passed + failed,
    testResults: [],
  });
  const allOk = 'lint ok\ntypecheck ok\ntest ok\nlicences ok\naudit ok\nsbom ok\n';

  it('ends with "N passed, N failed" from the vitest report', () => {
    expect(summarise(vitest(12, 0), allOk)).toEqual({ status: 0, lastLine: '12 passed, 0 failed' });
    expect(summarise(vitest(10, 2), allOk.replace('test ok', 'test failed'))).toEqual({
      status: 1,
      lastLine: '10 passed, 2 failed',
    });
  });

  it('counts a failed non-test step, a file that failed to load and a missing report as failures', () => {
    expect(summarise(vitest(12, 0), allOk.replace('lint ok', 'lint failed')).lastLine).toBe('12 passed, 1 failed');
    const broken = { ...vitest(3, 0), testResults: [{ name: 'x.test.ts', status: 'failed', assertionResults: [] }] };
    expect(summarise(broken, allOk.replace('test ok', 'test failed')).lastLine).toBe('3 passed, 1 failed');
    expect(summarise(undefined, allOk.replace('test ok', 'test failed'))).toEqual({
      status: 1,
      lastLine: '0 passed, 1 failed',
    });
  });

  it('counts vitest exiting non-zero with no failed test (an unhandled error) as a failure', () => {
    expect(summarise(vitest(5, 0), allOk.replace('test ok', 'test failed')).lastLine).toBe('5 passed, 1 failed');
  });
});
