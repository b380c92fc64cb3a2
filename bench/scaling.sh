#!/usr/bin/env bash
# Thread scaling on a many-core machine (issue 3): the session-directory table
# at 1-16 threads, and W1 echo throughput with 1, 2, 4, ... I/O threads against
# nginx with the same number of worker processes, both driven by a wrk that
# gets the other half of the cores. Then W2 isolation. Prints markdown.
#
# Usage: bench/scaling.sh      (needs a release build; meant for >= 8 cores)
#        Save its output as docs/scaling.md: bench/load.sh appends that file to
#        docs/benchmarks.md.
# Env:   BUILD=build/release, DURATION=5, CONNS=256, WRK=wrk, NGINX=nginx
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
DURATION=${DURATION:-5}
CONNS=${CONNS:-256}
NGINX=${NGINX:-nginx}
source bench/lib.sh

cores=$(nproc)
half=$((cores / 2 > 0 ? cores / 2 : 1))
echo "## Thread scaling ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $cores cores: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
echo
OUT='' BUILD=$BUILD bench/directory.sh | sed 1,2d

# Server and wrk each get half of the cores (taskset), so they do not compete.
srv_cpus="0-$((half - 1))"; wrk_cpus="$half-$((cores - 1))"
echo "W1 echo: $CONNS keep-alive connections, one session each, ${DURATION}s per run; servers on CPUs $srv_cpus, wrk (-t$half) on CPUs $wrk_cpus."
echo
echo "| I/O threads (nginx workers) | nginx req/s | mcpx req/s | mcpx p50 ms | mcpx p99 ms | mcpx/nginx |"
echo "|---|---|---|---|---|---|"
echo_params='{"name":"echo","arguments":{"text":"hello"}}'
for io in 1 2 4 8 16; do
  ((io <= half)) || break
  port=$(free_port)
  taskset -c "$srv_cpus" "$BUILD/apps/mcpx-bench-server" --port "$port" --io-threads "$io" 2>"$tmp/mcpx-$io.log" &
  pid=$!; pids+=($pid)
  wait_listening "$tmp/mcpx-$io.log"
  make_sessions "http://127.0.0.1:$port/mcp" "$CONNS" "$tmp/s-$io.txt"
  taskset -c "$wrk_cpus" "$WRK" --latency -t"$half" -c"$CONNS" -d"${DURATION}s" -s bench/wrk/mcp_call.lua \
    "http://127.0.0.1:$port/mcp" -- "$tmp/s-$io.txt" "$echo_params" >"$tmp/w1-mcpx-$io.txt" 2>&1 || true
  kill "$pid"; wait "$pid" 2>/dev/null || true

  nport=$(free_port); mkdir -p "$tmp/nginx-$io"
  sed -e "s|@DIR@|$tmp/nginx-$io|g" -e "s|@PORT@|$nport|g" -e "s|worker_processes auto|worker_processes $io|" \
    bench/nginx.conf.in >"$tmp/nginx-$io/nginx.conf"
  taskset -c "$srv_cpus" "$NGINX" -c "$tmp/nginx-$io/nginx.conf" -p "$tmp/nginx-$io" 2>/dev/null &
  npid=$!; pids+=($npid); sleep 0.5
  echo x >"$tmp/n.txt"
  taskset -c "$wrk_cpus" "$WRK" --latency -t"$half" -c"$CONNS" -d"${DURATION}s" -s bench/wrk/mcp_call.lua \
    "http://127.0.0.1:$nport/mcp" -- "$tmp/n.txt" "$echo_params" >"$tmp/w1-nginx-$io.txt" 2>&1 || true
  kill "$npid"; wait "$npid" 2>/dev/null || true
  echo "| $io | $(rps w1-nginx-$io) | $(rps w1-mcpx-$io) | $(pct w1-mcpx-$io 50) | $(pct w1-mcpx-$io 99) | $(ratio "$(rps w1-mcpx-$io)" "$(rps w1-nginx-$io)") |"
done

# W2: 4 sessions spin 200 ms back to back while 32 others ping (default options).
port=$(free_port)
taskset -c "$srv_cpus" "$BUILD/apps/mcpx-bench-server" --port "$port" 2>"$tmp/w2.log" & pid=$!; pids+=($pid)
wait_listening "$tmp/w2.log"
url=http://127.0.0.1:$port/mcp
make_sessions "$url" 36 "$tmp/w2.txt"; head -32 "$tmp/w2.txt" >"$tmp/ping.txt"; tail -4 "$tmp/w2.txt" >"$tmp/spin.txt"
taskset -c "$wrk_cpus" "$WRK" --latency -t1 -c32 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$url" -- "$tmp/ping.txt" '{}' ping \
  >"$tmp/w2-idle.txt" 2>&1 || true
taskset -c "$wrk_cpus" "$WRK" -t1 -c4 -d"$((DURATION + 2))s" -s bench/wrk/mcp_call.lua "$url" -- "$tmp/spin.txt" \
  '{"name":"spin_ms","arguments":{"ms":200}}' >/dev/null 2>&1 & spin=$!
sleep 1
taskset -c "$wrk_cpus" "$WRK" --latency -t1 -c32 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$url" -- "$tmp/ping.txt" '{}' ping \
  >"$tmp/w2-load.txt" 2>&1 || true
wait "$spin" || true
echo
echo "W2 isolation (servers on $half cores): ping p99 idle $(pct w2-idle 99) ms, while 4 sessions spin $(pct w2-load 99) ms:" \
     "loaded/idle $(ratio "$(pct w2-load 99)" "$(pct w2-idle 99)") (target <= 3)."
