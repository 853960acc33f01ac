#!/usr/bin/env bash
# The local end-to-end demo (the README's main command): sets up this machine (Debian packages, Node 24, pnpm and the
# locked dependencies), then runs the main reusable workflow on it against local stand-ins for Artifact Registry,
# Google's token endpoints, GitHub and a deployment repo. `bash scripts/demo.sh --help` lists the options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case " $* " in
  *" --help "* | *" -h "*) ;;
  *) bash scripts/setup.sh ;;
esac
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
# Node runs the TypeScript as is; the hook maps the local world's `./x.js` imports to its `.ts` files.
exec node --no-warnings --experimental-transform-types --import @hub-image-actions/local-world/resolve-ts-imports \
  scripts/demo/main.ts "$@"
