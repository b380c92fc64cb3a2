#!/usr/bin/env bash
# Instructions per W1 request (echo tools/call, 8 connections) for one or
# more builds, counted by callgrind: each build serves a short and a long
# wrk run, and the difference of their totals over the difference of their
# request counts cancels start-up and shutdown. Instruction counts repeat
# from run to run where this machine's wall clock does not.
#
# Usage: bench/callgrind_w1.sh <build dir>...   (each with apps/mcpx-bench-server)
# Env:   SHORT=4 LONG=12 (seconds), SERVER_ARGS (extra server flags),
#        STATELESS=1 (the call as a stateless 2026-07-28 request, no session),
#        METHOD / PARAMS (another session request instead of the echo call,
#        e.g. METHOD=tools/list PARAMS='{}')
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
SHORT=${SHORT:-4}
LONG=${LONG:-12}
echo_params='{"name":"echo","arguments":{"text":"hello"}}'

# one <build> <seconds>: prints "<instructions> <requests>"
one() {
  local build=$1 secs=$2 port pid out
  port=$(free_port)
  out=$tmp/cg.$RANDOM
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
    "$build/apps/mcpx-bench-server" --port "$port" --io-threads 1 --workers 2 ${SERVER_ARGS:-} 2>"$out.log" &
  pid=$!
  for _ in $(seq 600); do grep -q 'listening on' "$out.log" && break; sleep 0.1; done
  if [[ -n ${STATELESS:-} ]]; then
    "$WRK" -t1 -c8 -d"${secs}s" -s bench/wrk/mcp_stateless.lua "http://127.0.0.1:$port/mcp" -- echo \
      '{"text":"hello"}' >"$out.wrk" 2>&1 || true
  else
    make_sessions "http://127.0.0.1:$port/mcp" 8 "$out.sessions"
    "$WRK" -t1 -c8 -d"${secs}s" -s bench/wrk/mcp_call.lua "http://127.0.0.1:$port/mcp" -- "$out.sessions" \
      "${PARAMS:-$echo_params}" "${METHOD:-tools/call}" >"$out.wrk" 2>&1 || true
  fi
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  local instr requests
  instr=$(awk '/^summary:/ {print $2}' "$out.cg")
  requests=$(awk '/requests in/ {print $1}' "$out.wrk")
  echo "$instr $requests"
}

for build in "$@"; do
  read -r i1 r1 < <(one "$build" "$SHORT")
  read -r i2 r2 < <(one "$build" "$LONG")
  awk -v b="$build" -v i1="$i1" -v r1="$r1" -v i2="$i2" -v r2="$r2" \
    'BEGIN { printf "%s: %.0f instructions per request (%d and %d requests)\n", b, (i2 - i1) / (r2 - r1), r1, r2 }'
done
