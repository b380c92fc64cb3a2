#!/usr/bin/env bash
# A/B of two mcpx builds under W1-W4 (bench/load.sh's workloads, mcpx only), in
# one run: ROUNDS rounds, each running both builds one after the other (the
# order alternating), so that both see the same machine state. Prints the
# median of each figure per build and the B/A ratio.
#
# Usage: bench/ab.sh <build dir A> <build dir B>   (each with apps/mcpx-bench-server)
# Env:   ROUNDS=4, DURATION=5 (seconds per wrk run), W3_SESSIONS=50000,
#        A_ARGS / B_ARGS (extra server flags, e.g. "--workers 2"), ONLY_W12=1 (skip W4, W3)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1
B=$2
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-5}
W3_SESSIONS=${W3_SESSIONS:-50000}
source bench/lib.sh
for b in "$A" "$B"; do
  [[ -x $b/apps/mcpx-bench-server ]] || { echo "no $b/apps/mcpx-bench-server" >&2; exit 1; }
done
echo_params='{"name":"echo","arguments":{"text":"hello"}}'

# one_round <label> <build>: W1, W2 idle/loaded, W4 on a fresh server.
one_round() {
  local label=$1 build=$2 r=$3 port pid u args
  args=${A_ARGS:-}; [[ $label == B ]] && args=${B_ARGS:-}
  port=$(free_port)
  # shellcheck disable=SC2086
  "$build/apps/mcpx-bench-server" --port "$port" $args 2>"$tmp/$label.log" & pid=$!
  wait_listening "$tmp/$label.log"
  u=http://127.0.0.1:$port/mcp
  make_sessions "$u" 64 "$tmp/$label-64.txt"
  make_sessions "$u" 36 "$tmp/$label-36.txt"
  head -32 "$tmp/$label-36.txt" >"$tmp/$label-ping.txt"; tail -4 "$tmp/$label-36.txt" >"$tmp/$label-spin.txt"
  wrk_run "w1-$label-$r" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u" -- "$tmp/$label-64.txt" "$echo_params"
  wrk_run "w2i-$label-$r" -t1 -c32 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u" -- "$tmp/$label-ping.txt" '{}' ping
  "$WRK" -t1 -c4 -d"$((DURATION + 2))s" -s bench/wrk/mcp_call.lua "$u" -- "$tmp/$label-spin.txt" \
    '{"name":"spin_ms","arguments":{"ms":200}}' >"$tmp/w2s-$label-$r.txt" 2>&1 & local spin=$!
  sleep 1
  wrk_run "w2l-$label-$r" -t1 -c32 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u" -- "$tmp/$label-ping.txt" '{}' ping
  wait "$spin" || true
  [[ -z ${ONLY_W12:-} ]] && wrk_run "w4-$label-$r" -t2 -c1000 -d"${DURATION}s" --timeout 10s -s bench/wrk/mcp_call.lua "$u" -- \
    "$tmp/$label-64.txt" '{"name":"sleep_ms","arguments":{"ms":1000}}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

# w3 <label> <build>: KiB per idle initialized session.
w3() {
  local label=$1 build=$2 port pid rss0 rss1 n
  port=$(free_port)
  "$build/apps/mcpx-bench-server" --port "$port" --max-sessions "$W3_SESSIONS" --session-timeout-s 600 \
    2>"$tmp/w3-$label.log" & pid=$!
  wait_listening "$tmp/w3-$label.log"; sleep 0.3
  active() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1=="mcpx_sessions_active" {print $2}'; }
  rss0=$(rss_kb $pid)
  "$WRK" -t2 -c64 -d60s -s bench/wrk/initialize.lua "http://127.0.0.1:$port/mcp" >/dev/null 2>&1 & local w=$!
  while (( $(active) < W3_SESSIONS )) && kill -0 $w 2>/dev/null; do sleep 0.2; done
  kill $w 2>/dev/null; wait $w 2>/dev/null || true
  sleep 1
  rss1=$(rss_kb $pid); n=$(active)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v a="$rss0" -v b="$rss1" -v n="$n" 'BEGIN {printf "%.2f", (b-a)/n}' >"$tmp/w3-$label.txt"
}

for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then order="A B"; else order="B A"; fi
  for label in $order; do
    build=$A; [[ $label == B ]] && build=$B
    echo "round $r: $label ($build)" >&2
    one_round "$label" "$build" "$r"
  done
done
[[ -z ${ONLY_W12:-} ]] && { w3 A "$A"; w3 B "$B"; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
# fig <kind> <label> <prefix>: the median over rounds of one figure.
fig() {
  local kind=$1 label=$2 prefix=$3
  for r in $(seq "$ROUNDS"); do
    case $kind in
      rps) rps "$prefix-$label-$r" ;;
      p50) pct "$prefix-$label-$r" 50 ;;
      p99) pct "$prefix-$label-$r" 99 ;;
      calls) awk '/requests in/ {print $1}' "$tmp/$prefix-$label-$r.txt" ;;
    esac
    echo
  done | grep -v '^$' | median
}
row() {
  local name=$1 kind=$2 prefix=$3 a b
  a=$(fig "$kind" A "$prefix"); b=$(fig "$kind" B "$prefix")
  echo "| $name | $a | $b | $(ratio "$b" "$a") |"
}
echo "A/B ($(date -u +%Y-%m-%d), median of $ROUNDS alternating rounds, ${DURATION}s per wrk run, $(nproc) cores)"
echo "A = $A ${A_ARGS:-}, B = $B ${B_ARGS:-}"
echo
echo "| figure | A | B | B/A |"
echo "|---|---|---|---|"
row "W1 echo req/s (64 conns)" rps w1
row "W1 p50 ms" p50 w1
row "W1 p99 ms" p99 w1
row "W2 ping p99 idle ms" p99 w2i
row "W2 ping p99 while 4 sessions spin ms" p99 w2l
row "W2 spin calls done" calls w2s
[[ -n ${ONLY_W12:-} ]] && exit 0
row "W4 sleep 1000 ms p50 ms (1000 conns)" p50 w4
row "W4 p99 ms" p99 w4
echo "| W3 KiB per idle session ($W3_SESSIONS) | $(cat "$tmp/w3-A.txt") | $(cat "$tmp/w3-B.txt") | $(ratio "$(cat "$tmp/w3-B.txt")" "$(cat "$tmp/w3-A.txt")") |"
