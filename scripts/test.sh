#!/usr/bin/env bash
# The full test suite, from a fresh machine: set-up, bundles, type-check, lint, unit tests, bundle smoke runs and
# end-to-end tests against real services (the e2e tests start and stop dockerd, registries and fakes themselves).
# The e2e tests mostly wait on dockerd, git and the actions' processes, so they run alongside the other checks; their
# log follows. At the end it prints how long each step and each test suite took, also when something failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

times_dir="$(mktemp -d "${TMPDIR:-/tmp}/hia-test-times-XXXXXX")"
cp /proc/loadavg "$times_dir/load-start.txt" 2>/dev/null || true
started_all="${EPOCHREALTIME/./}"
e2e_pid=""
report_times() {
  local status=$?
  # Left early (Ctrl-C reaches the e2e run too): its report comes last.
  if [ -n "$e2e_pid" ]; then wait "$e2e_pid" 2>/dev/null || true; fi
  cp /proc/loadavg "$times_dir/load-end.txt" 2>/dev/null || true
  echo "$(((${EPOCHREALTIME/./} - started_all) / 1000))" >"$times_dir/wall-ms.txt"
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 24 ]; then
    node scripts/test-times.ts "$times_dir" || true
  fi
  rm -rf "$times_dir"
  exit "$status"
}
trap report_times EXIT

# step NAME COMMAND...: runs the command, and records its time and exit code for the report.
step() {
  local name="$1" started ms status=0
  shift
  printf '\n==> %s\n' "$name"
  started="${EPOCHREALTIME/./}"
  "$@" || status=$?
  ms=$(((${EPOCHREALTIME/./} - started) / 1000))
  printf '%s\t%d.%03d\t%s\n' "$name" $((ms / 1000)) $((ms % 1000)) "$status" >>"$times_dir/steps.tsv"
  return "$status"
}

# What `pnpm run lint` runs, with eslint's and prettier's caches (they recheck only files that changed), then
# yamllint and shellcheck. Chained with &&: errexit does not apply inside a function whose status is tested.
lint() {
  pnpm exec eslint --cache --cache-location node_modules/.cache/eslint/ . &&
    pnpm exec prettier --check --cache --cache-location node_modules/.cache/prettier/cache . &&
    yamllint --strict . && shellcheck -x scripts/*.sh .ci/run
}

# Incremental: the build info in node_modules/.cache lets tsc skip what did not change.
check_typecheck() {
  step "type-check" pnpm run typecheck --incremental --tsBuildInfoFile node_modules/.cache/tsc/typecheck.tsbuildinfo
}
check_lint() { step "lint (eslint, prettier, yamllint, shellcheck)" lint; }
check_unit() { step "unit tests" pnpm run test:unit --json --outputFile="$times_dir/jest-unit.json"; }
check_smoke() { step "run every bundle with no inputs" pnpm run smoke; }

# Each check runs even when one before it failed, so a run reports every failure; the first failure's code is kept.
checks() {
  local check status first=0
  for check in typecheck lint unit smoke; do
    status=0
    "check_$check" || status=$?
    if [ "$first" -eq 0 ]; then first=$status; fi
  done
  return "$first"
}

step "set-up (Debian packages, Node, pnpm, dependencies)" bash scripts/setup.sh
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
step "bundle the actions that changed (ncc)" node scripts/build-changed.ts

printf '\n==> end-to-end tests: started in the background, their log follows the other checks\n'
e2e_log="$times_dir/e2e.log"
step "end-to-end tests" pnpm run test:e2e --json --outputFile="$times_dir/jest-e2e.json" >"$e2e_log" 2>&1 &
e2e_pid=$!

failed=0
checks || failed=$?
printf '\n==> end-to-end tests (log)\n'
# Shows what they printed so far, then follows them to the end.
tail -n +1 --pid="$e2e_pid" -f "$e2e_log"
e2e_status=0
wait "$e2e_pid" || e2e_status=$?
e2e_pid=""
[ "$failed" -eq 0 ] || exit "$failed"
exit "$e2e_status"
