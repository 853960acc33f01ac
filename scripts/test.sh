#!/usr/bin/env bash
# The full test suite, from a fresh machine: set-up, bundles, type-check, lint, unit tests, bundle smoke runs and
# end-to-end tests against real services (the e2e tests start and stop dockerd, registries and fakes themselves).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh

step() { printf '\n==> %s\n' "$*"; }
step "bundle every action (ncc)";      pnpm run build
step "type-check";                     pnpm run typecheck
step "lint (eslint, prettier, yamllint, shellcheck)"
pnpm run lint
yamllint --strict .
shellcheck -x scripts/*.sh .ci/run
step "unit tests";                     pnpm run test:unit
step "run every bundle with no inputs"; pnpm run smoke
step "end-to-end tests";               pnpm run test:e2e
