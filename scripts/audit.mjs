#!/usr/bin/env node
// Vulnerability audit of every dependency in the lockfile, through `pnpm audit --json`.
//
// The audit needs the registry's advisory service. Where that service does not answer (no
// network, a registry mirror without the endpoint, an HTTP error, a reply that is not JSON, or
// no reply in time) the audit is skipped with a clear message and exit 0: an unreachable
// service says nothing about our dependencies, and must not block every build. When it does
// answer, high and critical advisories fail the check; lower ones are only reported.
//
// Usage: node scripts/audit.mjs [--timeout <seconds>] [--input <saved pnpm audit --json output>]
//   --input checks a saved report instead of asking the service (to test this script offline).
// Exit: 0 passed or skipped; 1 high/critical advisories; 2 the audit itself could not run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FAILING_SEVERITIES = ['critical', 'high'];
const SEVERITIES = ['critical', 'high', 'moderate', 'low', 'info'];

// pnpm's own error codes for "the service answered, but not with an audit" (any HTTP status
// but 200 from the audit endpoints; 405 from this project's registry mirror).
const SERVICE_ERROR_CODES = new Set(['ERR_PNPM_AUDIT_BAD_RESPONSE', 'ERR_PNPM_AUDIT_ENDPOINT_NOT_EXISTS']);
// Network failures as pnpm reports them: Node socket/DNS codes, undici and pnpm fetch errors,
// TLS certificate errors. Any other error (say, no lockfile) is ours and fails the check.
const NETWORK_ERROR_CODE =
  /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|EPROTO|UND_ERR_\w+|ERR_PNPM_FETCH_\w+|ERR_PNPM_META_FETCH_FAIL|\w*CERT\w*|UNABLE_TO_\w+)$/;

/** Runs `pnpm audit --json`, killing it after `timeoutMs`. Resolves { stdout, stderr, timedOut }. */
function runPnpmAudit(timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['audit', '--json'], {
      cwd: ROOT,
      // Fail fast on a dead network instead of pnpm's default retries with back-off (a minute
      // or more before it gives up).
      env: { ...process.env, npm_config_fetch_retries: '1', npm_config_fetch_timeout: String(timeoutMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr, timedOut });
    });
  });
}

/**
 * Classifies pnpm audit's output: { kind: 'skipped', reason } when the advisory service did
 * not answer, { kind: 'error', reason } when the audit could not run for a local reason, or
 * { kind: 'report', report } with the parsed report.
 */
export function classify(stdout) {
  let json;
  try {
    json = JSON.parse(stdout);
  } catch {
    const excerpt = stdout.trim().slice(0, 200) || '(empty)';
    return { kind: 'skipped', reason: `reply was not JSON: ${excerpt}` };
  }
  if (json && typeof json === 'object' && json.error) {
    const code = String(json.error.code ?? 'unknown error');
    const message = String(json.error.message ?? '').slice(0, 300);
    if (SERVICE_ERROR_CODES.has(code) || NETWORK_ERROR_CODE.test(code)) {
      return { kind: 'skipped', reason: `${code}: ${message}` };
    }
    return { kind: 'error', reason: `${code}: ${message}` };
  }
  if (!json || typeof json !== 'object' || typeof json.advisories !== 'object') {
    return { kind: 'skipped', reason: 'reply was JSON but not an audit report' };
  }
  return { kind: 'report', report: json };
}

/** The advisories of a report, most severe first, as flat records. */
export function advisoriesOf(report) {
  return Object.values(report.advisories ?? {})
    .map((a) => ({
      id: a.github_advisory_id ?? a.id,
      module: a.module_name,
      severity: a.severity,
      title: a.title,
      url: a.url,
      vulnerable: a.vulnerable_versions,
      patched: a.patched_versions,
      versions: [...new Set((a.findings ?? []).map((f) => f.version))],
      paths: (a.findings ?? []).flatMap((f) => f.paths ?? []),
    }))
    .sort((x, y) => SEVERITIES.indexOf(x.severity) - SEVERITIES.indexOf(y.severity));
}

async function main() {
  const { values } = parseArgs({
    options: { timeout: { type: 'string', default: '60' }, input: { type: 'string' } },
  });
  const timeoutMs = Number(values.timeout) * 1000;

  let stdout;
  if (values.input) {
    stdout = readFileSync(values.input, 'utf8');
  } else {
    const started = Date.now();
    let run;
    try {
      run = await runPnpmAudit(timeoutMs);
    } catch (error) {
      console.error(`audit: could not run pnpm audit: ${error.message}`);
      return 2;
    }
    if (run.timedOut) {
      console.log(`audit skipped: advisory service did not answer (no reply within ${values.timeout} s)`);
      return 0;
    }
    stdout = run.stdout;
    console.log(`audit: pnpm audit replied in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const result = classify(stdout);
  if (result.kind === 'skipped') {
    console.log(`audit skipped: advisory service did not answer (${result.reason})`);
    return 0;
  }
  if (result.kind === 'error') {
    console.error(`audit: pnpm audit failed: ${result.reason}`);
    return 2;
  }

  const advisories = advisoriesOf(result.report);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, advisories.filter((a) => a.severity === s).length]));
  const dependencies = result.report.metadata?.totalDependencies;
  console.log(
    `audit: ${dependencies ?? '?'} dependencies, ${advisories.length} advisories ` +
      `(${SEVERITIES.map((s) => `${counts[s]} ${s}`).join(', ')})`,
  );
  for (const a of advisories) {
    const marker = FAILING_SEVERITIES.includes(a.severity) ? '!!' : '  ';
    console.log(`${marker} ${a.severity.padEnd(8)} ${a.module}@${a.versions.join(',')}  ${a.title}`);
    console.log(`            ${a.id}  vulnerable ${a.vulnerable}, patched ${a.patched}  ${a.url ?? ''}`);
    for (const path of a.paths.slice(0, 3)) console.log(`            via ${path}`);
    if (a.paths.length > 3) console.log(`            ... and ${a.paths.length - 3} more paths`);
  }
  const failing = advisories.filter((a) => FAILING_SEVERITIES.includes(a.severity));
  if (failing.length > 0) {
    console.error(`\naudit FAILED: ${failing.length} high or critical advisories (marked !! above).`);
    console.error('Upgrade the affected packages (pnpm update, or pnpm.overrides for transitive ones).');
    return 1;
  }
  console.log('audit passed: no high or critical advisories');
  return 0;
}

// Run only when executed directly, so classify() can be imported by tests.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
