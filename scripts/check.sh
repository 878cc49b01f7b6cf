#!/usr/bin/env bash
# `pnpm check`: every gate a change must pass, in one command.
#
# Runs all steps even after one fails, so a single CI run reports every problem rather than
# only the first. Each step's outcome goes to .artifacts/check-steps.txt ("<step> ok|failed"),
# which scripts/test.sh folds into its closing "N passed, N failed" line. Exits non-zero when
# any step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ARTIFACTS="$ROOT/.artifacts"
STEPS_FILE="$ARTIFACTS/check-steps.txt"
mkdir -p "$ARTIFACTS"
: >"$STEPS_FILE"
# A result from an earlier run must never be mistaken for this run's.
rm -f "$ARTIFACTS/vitest.json"

failed_steps=()

step() {
  local name="$1"
  shift
  printf '\n==> %s: %s\n' "$name" "$*"
  local started=$SECONDS
  if "$@"; then
    echo "$name ok" >>"$STEPS_FILE"
    printf -- '--> %s ok (%ss)\n' "$name" "$((SECONDS - started))"
  else
    echo "$name failed" >>"$STEPS_FILE"
    failed_steps+=("$name")
    printf -- '--> %s FAILED (%ss)\n' "$name" "$((SECONDS - started))"
  fi
}

step lint pnpm lint
step typecheck pnpm typecheck
# Same as `pnpm test`, plus a JSON report that scripts/test.sh counts. (Called through
# `pnpm exec` because `pnpm test --reporter=...` would take --reporter as pnpm's own option.)
step test pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.artifacts/vitest.json
# Each example's smoke script, as a user would run it.
step examples bash -c 'for smoke in examples/*/smoke; do bash "$smoke" || exit 1; done'
step licences node scripts/licence-check.mjs
step audit node scripts/audit.mjs
step sbom node scripts/sbom.mjs

echo
if [ "${#failed_steps[@]}" -gt 0 ]; then
  echo "check: FAILED: ${failed_steps[*]}"
  exit 1
fi
echo "check: all steps passed"
