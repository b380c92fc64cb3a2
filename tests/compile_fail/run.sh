#!/usr/bin/env bash
# Each file here must fail to compile with mcpx's sentence for it, and with
# few lines of diagnostics (a readable error, not a page of templates).
#
#   tests/compile_fail/run.sh <C++ compiler> <include dir>
set -euo pipefail
cxx=$1
include=$2
here=$(cd "$(dirname "$0")" && pwd)
check() {
  local file=$1 want=$2 out lines
  if out=$("$cxx" -std=c++20 -fsyntax-only -I"$include" "$here/$file" 2>&1); then
    echo "FAIL: $file compiled"; exit 1
  fi
  grep -qF -- "$want" <<<"$out" || { echo "$out" | head -40; echo "FAIL: $file: no '$want'"; exit 1; }
  lines=$(grep -c 'error' <<<"$out" || true)
  echo "ok: $file: '$want' ($lines lines mention an error)"
  [[ $lines -le 3 ]] || { echo "$out" | grep error; echo "FAIL: $file: $lines error lines"; exit 1; }
}
check undescribed_member.cc "mcpx: this type has no JSON mapping"
check undescribed_arguments.cc "must be a struct described with BOOST_DESCRIBE_STRUCT"
check wrong_prompt_member.cc "prompt arguments are strings in MCP"
