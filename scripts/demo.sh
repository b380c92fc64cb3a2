#!/usr/bin/env bash
# Installs what the demo needs, builds it, and starts mcpxd on 127.0.0.1:8080.
# Extra arguments go to mcpxd (e.g. --port 9000, --stdio).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --no-npm
cmake --preset release >/dev/null
cmake --build --preset release --target mcpxd
exec build/release/apps/mcpxd "$@"
