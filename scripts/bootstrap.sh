#!/usr/bin/env bash
# Installs every system dependency of mcpx from Debian 12 packages, and the
# test-only npm tools into tools/npm/node_modules from the committed lockfile.
# Idempotent: packages already present are skipped by apt-get; npm ci is skipped
# when the lockfile has not changed since the last install.
#
# Usage: scripts/bootstrap.sh [--no-npm]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  ca-certificates cmake ninja-build g++ clang-14 libclang-rt-14-dev pkg-config dpkg-dev file
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libabsl-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtbb-dev libcuckoo-dev liburcu-dev libvalijson-dev json-schema-test-suite
  nginx-light wrk curl openssl
)
# npm only installs the test tools (which bring their own Node 22); any npm will do.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" != "--no-npm" ]]; then
  stamp=tools/npm/node_modules/.mcpx-lock-stamp
  if [[ ! -f "$stamp" ]] || ! cmp -s tools/npm/package-lock.json "$stamp"; then
    npm ci --prefix tools/npm --no-audit --no-fund --loglevel=error
    cp tools/npm/package-lock.json "$stamp"
  fi
fi
