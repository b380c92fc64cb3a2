# Shell helpers shared by the load benchmarks (sourced). Sourcing it raises
# the open-file limit and sets up $tmp (a scratch directory) and $pids (server
# processes): both are cleaned up when the script exits.
# WRK names the wrk binary (default: wrk from PATH).
WRK=${WRK:-wrk}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
              echo $((20000 + RANDOM % 20000)); }
wait_listening() { for _ in $(seq 200); do grep -q 'listening on' "$1" && return 0; sleep 0.05; done; cat "$1"; return 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
threads() { ls "/proc/$1/task" | wc -l; }

# make_sessions <url> <count> <file>: initialize + initialized, ids to file.
# With MCPX_BEARER set, the requests carry that token; CURL_INSECURE=1 takes
# any certificate (a self-signed one in a TLS run).
make_sessions() {
  local url=$1 n=$2 out=$3 extra=()
  [[ -n ${MCPX_BEARER:-} ]] && extra+=(-H "Authorization: Bearer $MCPX_BEARER")
  [[ -n ${CURL_INSECURE:-} ]] && extra+=(-k)
  : >"$out"
  for _ in $(seq "$n"); do
    sid=$(curl -s "${extra[@]}" -D - -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' \
      "$url" | awk 'tolower($1)=="mcp-session-id:" {print $2}' | tr -d '\r')
    curl -s "${extra[@]}" -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
      -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$url"
    echo "$sid" >>"$out"
  done
}

# to_ms <wrk latency like 715.00us / 2.16ms / 1.01s>
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v/1000; else if (v ~ /ms$/) printf "%.2f", v+0; else if (v ~ /s$/) printf "%.0f", v*1000; else print v }'; }
# wrk_run <name> <wrk args...>: runs, keeps the output in $tmp/<name>.txt
wrk_run() { local name=$1; shift; "$WRK" --latency "$@" >"$tmp/$name.txt" 2>&1 || true; }
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$tmp/$1.txt"; }
pct() { to_ms "$(awk -v p="$2%" '$1==p {print $2}' "$tmp/$1.txt")"; }
non2xx() { awk '/Non-2xx/ {print $NF}' "$tmp/$1.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }

