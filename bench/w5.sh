#!/usr/bin/env bash
# W5 (issue 12): a million sessions with flat latency. One mcpx-bench-server,
# capped at N + 65 sessions (N=W5_SESSIONS, 65 for the measuring clients) with
# idle expiry W5_TIMEOUT_S; all on loopback, driven by wrk.
#
#   1. "empty": 65 sessions (make_sessions). For DURATION seconds, at the same
#      time: one client pings back to back on its own session (wrk -t1 -c1,
#      bench/wrk/mcp_call.lua: a fresh JSON-RPC id per request) and 64
#      connections run W1 (tools/call echo {text: hello}) over the other 64.
#   2. Creation: wrk (-t2 -c64, bench/wrk/initialize.lua: initialize, then
#      notifications/initialized for each id) until the server's cap refuses
#      more, i.e. N sessions besides the 65; timed by polling /metrics
#      (mcpx_sessions_active). VmRSS before and after gives KiB per session.
#   3. "resident": the same measurement as 1, on the same 65 sessions, with
#      the N sessions resident (before issue 12 the expiry sweep walked all of
#      them every 5 s on the I/O thread; now it looks only at those due).
#   4. Expiry: the 65 are deleted (DELETE /mcp); the N expire W5_TIMEOUT_S
#      after their creation. Waits for mcpx_sessions_active to reach 0 (at most
#      W5_TIMEOUT_S + 60 s after the creation ended) and reads VmRSS again.
#
# Timing: the first of the N sessions must still be resident at the end of
# phase 3, so creation is stopped after W5_TIMEOUT_S - DURATION - 10 seconds
# (W5_CREATE_LIMIT_S) even if N is not reached; the table says so. With the
# defaults (N=1,000,000, T=120 s, DURATION=30 s) the script runs about
# 30 + creation + 30 + 120 seconds (about 4 minutes at 20k sessions/s) and
# needs about 2 GiB of memory for the server. Sessions that got their
# initialize answer but not yet their notifications/initialized when the cap
# was reached (at most 64) stay initializing and expire after 60 s.
# Prints a markdown table and writes it, with date, commit and machine, to
# docs/w5-bench.md (WRITE_DOCS=0: print only).
#
# Usage: bench/w5.sh      (needs a release build; nothing is built)
# Env:   W5_SESSIONS=1000000, W5_TIMEOUT_S=120, DURATION=30, BUILD=build/release,
#        W5_CREATE_LIMIT_S (default W5_TIMEOUT_S - DURATION - 10), WRITE_DOCS=1,
#        MCPX_ARGS (extra mcpx-bench-server flags, e.g. "--io-threads 2"),
#        W5_KEEP (a directory to copy the raw wrk outputs and the server log to)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
DURATION=${DURATION:-30}
N=${W5_SESSIONS:-1000000}
T=${W5_TIMEOUT_S:-120}
CREATE_LIMIT=${W5_CREATE_LIMIT_S:-$((T - DURATION - 10))}
BENCH_SESSIONS=65  # 1 ping + 64 W1
source bench/lib.sh

[[ -x $BUILD/apps/mcpx-bench-server ]] || { echo "no $BUILD/apps/mcpx-bench-server: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
(( CREATE_LIMIT >= 5 )) || { echo "W5_TIMEOUT_S=$T leaves no time to create sessions (W5_CREATE_LIMIT_S=$CREATE_LIMIT): raise it above DURATION + 15" >&2; exit 1; }
need_kb=$((N * 3 + 262144))  # 3 KiB a session (peak, with the tables growing) + 256 MiB
avail_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
(( avail_kb >= need_kb )) || { echo "$((avail_kb / 1024)) MiB available; W5 with $N sessions wants $((need_kb / 1024)) MiB" >&2; exit 1; }
echo "W5: $N sessions, idle expiry ${T}s, ${DURATION}s per phase, creation at most ${CREATE_LIMIT}s; using $BUILD (nothing is built)" >&2

port=$(free_port)
base=http://127.0.0.1:$port
url=$base/mcp
read -ra mcpx_args <<<"${MCPX_ARGS:-}"
"$BUILD/apps/mcpx-bench-server" --port "$port" --max-sessions $((N + BENCH_SESSIONS)) --session-timeout-s "$T" \
  "${mcpx_args[@]}" 2>"$tmp/mcpx.log" & pids+=($!); pid=$!
wait_listening "$tmp/mcpx.log"; sleep 0.3

alive() { kill -0 "$pid" 2>/dev/null || { echo "the server died:" >&2; tail -5 "$tmp/mcpx.log" >&2; exit 1; }; }
# metric <name>: its value from /metrics, or -1 when the server does not answer.
metric() {
  local v
  v=$(curl -s -m 5 "$base/metrics" | awk -v m="$1" '$1==m {print $2}') || true
  echo "${v:--1}"
}
active() { metric mcpx_sessions_active; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN {printf "%.1f", e-s}'; }
wrk_max() { to_ms "$(awk '$1=="Latency" && $2!="Distribution" {print $4}' "$tmp/$1.txt")"; }
errs() {  # non-2xx answers plus socket errors (connect, read, write, timeout)
  awk '/Non-2xx/ {s+=$NF} /Socket errors/ {gsub(",", ""); s+=$4+$6+$8+$10} END {print s+0}' "$tmp/$1.txt"
}

make_sessions "$url" "$BENCH_SESSIONS" "$tmp/bench.txt"
head -1 "$tmp/bench.txt" >"$tmp/ping.txt"; tail -n +2 "$tmp/bench.txt" >"$tmp/w1.txt"
(( $(wc -l <"$tmp/w1.txt") == 64 )) || { echo "could not make the bench sessions" >&2; exit 1; }
echo_params='{"name":"echo","arguments":{"text":"hello"}}'
hdr=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25')
curl -s "${hdr[@]}" -H "Mcp-Session-Id: $(head -1 "$tmp/w1.txt")" \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":$echo_params}" "$url" |
  grep -q '"text":"hello"' || { echo "mcpx does not echo" >&2; exit 1; }
curl -s "${hdr[@]}" -H "Mcp-Session-Id: $(cat "$tmp/ping.txt")" -d '{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}' "$url" |
  grep -q '"result":{}' || { echo "mcpx does not answer ping" >&2; exit 1; }

# measure <phase>: ping (1 connection) and W1 (64 connections) at the same time.
measure() {
  local w1
  echo "$1: ping + W1 for ${DURATION}s with $(active) sessions" >&2
  wrk -t2 -c64 -d"${DURATION}s" --latency -s bench/wrk/mcp_call.lua "$url" -- "$tmp/w1.txt" "$echo_params" \
    >"$tmp/w1-$1.txt" 2>&1 & w1=$!
  wrk_run "ping-$1" -t1 -c1 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$url" -- "$tmp/ping.txt" '{}' ping
  wait "$w1" || true
  alive
}

# --- 1. empty --------------------------------------------------------------------
contended0=$(metric mcpx_directory_contended_total)
measure empty
contended1=$(metric mcpx_directory_contended_total)

# --- 2. creation -------------------------------------------------------------------
sleep 1
rss0=$(rss_kb "$pid")
echo "creating $N sessions (at most ${CREATE_LIMIT}s)" >&2
wrk -t2 -c64 -d"$((CREATE_LIMIT + 5))s" -s bench/wrk/initialize.lua "$url" >"$tmp/create.txt" 2>&1 & creator=$!
t_start=$(now)
while kill -0 "$creator" 2>/dev/null; do
  a=$(active)
  (( a >= N + BENCH_SESSIONS )) && break
  (( a < 0 )) && alive
  awk -v s="$(since "$t_start")" -v l="$CREATE_LIMIT" 'BEGIN {exit !(s >= l)}' && break
  sleep 0.2
done
create_s=$(since "$t_start")
kill "$creator" 2>/dev/null || true; wait "$creator" 2>/dev/null || true
t_created=$(now)
alive
created=$(( $(active) - BENCH_SESSIONS ))
reached=yes; (( created >= N )) || reached="no: stopped after ${CREATE_LIMIT}s"
echo "created $created sessions in ${create_s}s" >&2
sleep 2
rss1=$(rss_kb "$pid")

# --- 3. resident -------------------------------------------------------------------
contended2=$(metric mcpx_directory_contended_total)
measure resident
contended3=$(metric mcpx_directory_contended_total)
resident_after=$(( $(active) - BENCH_SESSIONS ))

# --- 4. expiry ---------------------------------------------------------------------
while read -r sid; do
  curl -s -o /dev/null -m 5 -X DELETE -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' "$url" || true
done <"$tmp/bench.txt"
echo "waiting for the sessions to expire (${T}s after creation, at most $((T + 60))s)" >&2
while :; do
  a=$(active)
  (( a == 0 )) && break
  (( a < 0 )) && alive
  awk -v s="$(since "$t_created")" -v l="$((T + 60))" 'BEGIN {exit !(s >= l)}' && break
  sleep 1
done
expiry_s=$(since "$t_created")
sleep 2  # the sweep hands freed memory back (malloc_trim) on a worker
left=$(active)
expired=$(metric mcpx_sessions_expired_total)
looked=$(metric mcpx_expiry_looked_total)      # -1 before issue 12 (absent)
step_s=$(metric mcpx_expiry_step_max_seconds)
rss2=$(rss_kb "$pid")
alive

# --- Report ------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD)
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
label="$N resident"; [[ $N == 1000000 ]] && label="1M resident"
mib() { awk -v k="$1" 'BEGIN {printf "%.0f MiB", k/1024}'; }
pass() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "" || v == "n/a") print "n/a";
  else if ((op == "le" && v+0 <= t+0) || (op == "ge" && v+0 >= t+0)) print "met"; else print "**missed**" }'; }
row() {  # row <label> <phase> <resident> <contended delta ns>
  echo "| $1 | $3 | $(pct "ping-$2" 50) | $(pct "ping-$2" 99) | $(wrk_max "ping-$2") | $(rps "ping-$2") |" \
       "$(rps "w1-$2") | $(pct "w1-$2" 50) | $(pct "w1-$2" 99) | $(wrk_max "w1-$2") | $(errs "ping-$2") / $(errs "w1-$2") |" \
       "$(awk -v n="$4" 'BEGIN {printf "%.1f", n/1e6}') |"
}
p99=$(pct ping-resident 99); pmax=$(wrk_max ping-resident)
w1ratio=$(ratio "$(rps w1-resident)" "$(rps w1-empty)")
rate=$(awk -v n="$created" -v s="$create_s" 'BEGIN {if (s > 0) printf "%.0f", n/s; else print "n/a"}')
per=$(awk -v a="$rss0" -v b="$rss1" -v n="$created" 'BEGIN {if (n > 0) printf "%.2f", (b-a)/n; else print "n/a"}')
report=$tmp/report.md
{
  echo "## W5: $label sessions with flat latency ($(date -u +%Y-%m-%d), commit $commit)"
  echo
  echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); wrk shares the cores with the server."
  echo "\`bench/w5.sh\`: one mcpx-bench-server (--max-sessions $((N + BENCH_SESSIONS)) --session-timeout-s $T${MCPX_ARGS:+ $MCPX_ARGS}; 1 I/O thread,"
  echo "$(nproc) workers under SCHED_IDLE unless set otherwise). Each phase runs ${DURATION}s: one client pings back to back on its own"
  echo "session (wrk -t1 -c1) while 64 connections run W1 echo over 64 other sessions (wrk -t2 -c64); the same 65"
  echo "sessions in both phases. Sessions made by wrk (-t2 -c64, initialize + notifications/initialized), the"
  echo "rate timed until the cap refused more."
  echo
  echo "| phase | sessions resident | ping p50 ms | ping p99 ms | ping max ms | ping req/s | W1 req/s | W1 p50 ms | W1 p99 ms | W1 max ms | errors ping / W1 | directory waits ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  row empty empty 0 "$((contended1 - contended0))"
  row "$label" resident "$created ($resident_after after)" "$((contended3 - contended2))"
  echo
  echo "| sessions created | time s | created/s | RSS before | RSS with sessions | KiB per session | RSS after expiry | sessions left | expired in |"
  echo "|---|---|---|---|---|---|---|---|---|"
  echo "| $created (cap reached: $reached) | $create_s | $rate | $(mib "$rss0") | $(mib "$rss1") | $per | $(mib "$rss2") | $left ($expired expired in all) | ${expiry_s}s after creation ended |"
  echo
  echo "Targets with $label: ping p99 $p99 ms <= 5 ($(pass "$p99" 5 le)); ping max $pmax ms <= 20 ($(pass "$pmax" 20 le));" \
       "W1 resident/empty $w1ratio >= 0.90 ($(pass "$w1ratio" 0.90 ge)); creation $rate/s >= 20,000 ($(pass "$rate" 20000 ge));" \
       "$per KiB per session <= 1 ($(pass "$per" 1 le))."
  [[ $step_s != -1 ]] && echo "Expiry: $looked sessions looked at by the sweep in all; its longest step on the I/O thread took $(awk -v s="$step_s" 'BEGIN {printf "%.2f", s * 1000}') ms."
  echo "\"directory waits\": mcpx_directory_contended_total during the phase (time whole-shard walks waited for a shard; since issue 12 expiry walks none)."
  echo "wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}') corrects its percentiles for coordinated omission (a response slower than twice the mean"
  echo "interval adds the requests a steady client would have sent meanwhile), so p99 counts stalls; max is the slowest response."
  # Lookups while the directory grows (the shards double as sessions arrive):
  # the worst wait a session lookup can see during creation.
  if [[ -x $BUILD/bench/growth_bench ]]; then
    echo
    echo "Lookups while the session directory grows to $N sessions (\`growth_bench $N\`, one thread inserting,"
    echo "one looking up sessions already present; no server):"
    echo
    "$BUILD/bench/growth_bench" "$N"
  fi
} >"$report"
cat "$report"
if [[ -n ${W5_KEEP:-} ]]; then mkdir -p "$W5_KEEP" && cp "$tmp"/*.txt "$tmp/mcpx.log" "$W5_KEEP"/; fi
[[ "${WRITE_DOCS:-1}" == 1 ]] && cp "$report" docs/w5-bench.md
exit 0
