#!/usr/bin/env bash
# build-image and the repo2docker contract against the real repo2docker (the pinned version, on PATH) and a real
# docker buildx. HIA_REAL_TOOLS=1 makes a missing tool fail the run, never skip it. HIA_BUILDX_BUILDER must name a
# builder whose driver is not `docker` (docker-container, remote, ...), for the --load test. With --network, also the
# template's conda image, which needs micromamba, conda-forge and PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
pnpm run build
export HIA_REAL_TOOLS=1
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"; }
# Paths before --selectProjects, which takes every word after it.
jest actions/build-image packages/local-world/__tests__/repo2docker-contract.e2e.test.ts --selectProjects e2e
if [[ " $* " == *" --network "* ]]; then
  jest --selectProjects network
fi
