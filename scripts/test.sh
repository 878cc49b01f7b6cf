#!/usr/bin/env bash
# The project's test command (README, CI): bootstrap, run every check, print a verdict.
#
# CI recognises a run only by its closing line, "N passed, N failed", so this script always
# ends with exactly that line (scripts/test-summary.mjs derives it from vitest's JSON report and
# the outcome of the other check steps) and exits non-zero when anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! bash scripts/setup.sh; then
  echo
  echo "setup failed: no checks were run"
  echo "0 passed, 1 failed"
  exit 1
fi

check_status=0
pnpm check || check_status=$?

summary_status=0
node scripts/test-summary.mjs || summary_status=$?

# Either source of failure fails the run: the summary catches failing tests, the exit status
# catches anything the summary could not see.
if [ "$check_status" -ne 0 ] || [ "$summary_status" -ne 0 ]; then
  exit 1
fi
