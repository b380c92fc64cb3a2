#!/usr/bin/env bash
# mcpxd --config: a TOML file sets any option; the command line wins; an
# unknown key, a bad value or bad TOML stops mcpxd at start (exit 2) naming
# the file, the line and the key.
#
#   tests/e2e/mcpxd_config.sh <mcpxd>
set -euo pipefail
mcpxd=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# refused <file contents> <expected message part>
refused() {
  printf '%s\n' "$1" >"$tmp/bad.toml"
  local out rc=0
  out=$("$mcpxd" --config "$tmp/bad.toml" 2>&1 </dev/null) || rc=$?
  [[ $rc == 2 ]] || fail "exit $rc, not 2, for: $1"
  grep -qF -- "$2" <<<"$out" || fail "no '$2' in: $out"
  echo "ok: refused: $2"
}
refused $'port = 0\n[guards]\nip_rat = 5' "bad.toml:3: unknown key 'ip_rat'"
refused $'max_sessions = "many"' "bad.toml:1: key 'max_sessions': Could not convert"
refused $'port = 99999' "bad.toml:1: key 'port'"
refused $'read_timeout_ms = -5' "bad.toml:1: key 'read_timeout_ms': --read-timeout-ms: must be a whole number"
refused $'worker_priority = "fastest"' "bad.toml:1: key 'worker_priority'"
refused $'port = \n' "bad.toml:1:"
refused $'config = "other.toml"' "unknown key 'config'"

# initialize <args...>: the serverInfo an initialize over stdio gets.
initialize() {
  { printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
    sleep 1; } | timeout 10 "$mcpxd" "$@" 2>/dev/null || true
}
cat >"$tmp/good.toml" <<'TOML'
# Tables only group keys.
[server]
name = "configured"
title = "from the file"
page_size = 7
tool_timeout_ms = 5000
worker_priority = "nice"
[http]
stdio = true
allowed_host = ["a.example", "b.example"]
TOML
out=$(initialize --config "$tmp/good.toml")
grep -q '"serverInfo":{"name":"configured","version":"0.1.0","title":"from the file"}' <<<"$out" ||
  fail "the file's name and title not in: $out"
echo "ok: the file sets options"
out=$(initialize --config "$tmp/good.toml" --name flagged)
grep -q '"serverInfo":{"name":"flagged",' <<<"$out" || fail "the command line did not win: $out"
echo "ok: the command line wins"
