// Smoke test CI runs: the workflow is valid YAML, a workflow_dispatch job whose apply step
// verifies before it applies (--change, --org-root pinned, --ci), and every isotyp command and
// flag in it exists in the CLI built from this checkout.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const YAML = createRequire(`${root}packages/cli/package.json`)('yaml');
const workflow = YAML.parse(readFileSync(`${here}apply-approved.yml`, 'utf8'));
const steps = workflow.jobs?.apply?.steps ?? [];
const apply = steps.find((s) => typeof s.run === 'string' && s.run.includes(' apply --change'));
const problems = [
  workflow.on?.workflow_dispatch?.inputs?.change?.required === true ? '' : 'no required change input',
  apply ? '' : 'no apply --change step',
  apply?.run.includes('--org-root') ? '' : 'the org root is not pinned',
  apply?.run.includes('--ci') ? '' : 'not --ci (it would wait for a confirmation)',
  apply?.env?.ISOTYP_TOKEN?.includes('secrets.') ? '' : 'the token does not come from a secret',
].filter(Boolean);
if (problems.length > 0) throw new Error(`apply-approved.yml: ${problems.join('; ')}`);
execFileSync(process.execPath, [`${root}scripts/check-isotyp-usage.mjs`, `${here}apply-approved.yml`], {
  stdio: 'inherit',
});
console.log('ci-apply smoke: ok');
