#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine: Debian packages, Node 24, pnpm and the
# locked dependencies. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian package, and the command whose presence means we have it already. Probing commands rather than packages
# keeps us off machines whose docker or npm came from elsewhere (GitHub's runners ship Moby's docker).
apt_packages=(
  "docker.io dockerd"              # dockerd and the docker CLI
  "docker-registry docker-registry" # a real OCI registry (distribution 2.8) for tests
  "apache2-utils htpasswd"         # htpasswd -B: the registry accepts only bcrypt entries
  "yamllint yamllint"              # the real yamllint the runner action drives
  "busybox-static dpkg:busybox-static" # a tiny rootfs for test base images: it must be the static build
  "debootstrap debootstrap"        # a Debian rootfs with Python for image tests
  "git git"
  "iptables iptables"              # dockerd's bridge networking
  "shellcheck shellcheck"
  "npm npm"                        # only to fetch Node 24
  "python3 python3"                # browser tests run on the runner, with pytest in a venv
  "python3-pytest py:pytest"
  "python3-venv py:ensurepip"
)
missing=()
for entry in "${apt_packages[@]}"; do
  read -r package probe <<<"$entry"
  if [[ "$probe" == dpkg:* ]]; then
    dpkg-query -W -f='${Status}' "${probe#dpkg:}" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  elif [[ "$probe" == py:* ]]; then
    # A module of the python3 on PATH (which may not be Debian's): only missing when that one lacks it.
    python3 -c "import ${probe#py:}" >/dev/null 2>&1 || missing+=("$package")
  else
    command -v "$probe" >/dev/null 2>&1 || [ -x "/usr/sbin/$probe" ] || missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: run as root or install sudo to get: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
echo "setup: node $(node --version), pnpm $(pnpm --version)"
pnpm install --frozen-lockfile --reporter=silent
