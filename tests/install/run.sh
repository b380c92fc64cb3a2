#!/usr/bin/env bash
# mcpx as an installed package: `cmake --install` of a build into a temporary
# prefix, then every project under examples/ configured and built on its own
# with find_package(mcpx), and the echo example run over stdio (initialize,
# tools/call) to show that what was linked works.
#
# Usage: tests/install/run.sh <build dir>
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
test -f "$tmp/prefix/include/mcpx/server.h"
test -f "$tmp/prefix/lib/cmake/mcpx/mcpxConfig.cmake"
# Only the public headers: nothing from src/.
if find "$tmp/prefix/include" -name '*.h' | grep -v '/include/mcpx/' | grep -q .; then
  echo "FAIL: headers outside include/mcpx installed"; exit 1
fi

for dir in "$src"/examples/*/; do
  name=$(basename "$dir")
  cmake -S "$dir" -B "$tmp/build-$name" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/$name-configure.log" 2>&1 ||
    { cat "$tmp/$name-configure.log"; echo "FAIL: $name does not configure against the installed mcpx"; exit 1; }
  cmake --build "$tmp/build-$name" >"$tmp/$name-build.log" 2>&1 ||
    { cat "$tmp/$name-build.log"; echo "FAIL: $name does not build against the installed mcpx"; exit 1; }
  echo "ok: examples/$name builds with find_package(mcpx)"
done

# stdin stays open a moment after the call, as a client's would: the server
# ends the session when its input ends.
out=$({ printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
  '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"installed"}}}'
  sleep 2; } | timeout 20 "$tmp/build-echo/echo_server" 2>/dev/null)
if ! grep -q '"id":2,"result":{"content":\[{"type":"text","text":"installed"}\]' <<<"$out"; then
  echo "FAIL: the echo example did not answer the call:"; echo "$out"; exit 1
fi
echo "ok: the echo example answers over stdio"
