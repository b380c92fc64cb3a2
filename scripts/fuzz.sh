#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: Clang, ASan + UBSan, coverage in
# all of libmcpx) and runs each for SECONDS (default 60), one process at a
# time, on a scratch copy of its committed corpus fuzz/corpus/<target>/ (new
# inputs never land in the repository). Crash, leak and timeout reproducers go
# to build/fuzz/artifacts/<target>/, full logs to build/fuzz/logs/<target>.log.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (targets: all by default)
#
# Prints one summary line per target and exits non-zero if any found something.
# Reproduce a finding with: build/fuzz/fuzz/<target> <artifact file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(fuzz_http fuzz_jsonrpc fuzz_sse_event_id fuzz_uri_template fuzz_arguments)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=("${all[@]}"); fi

max_len() {
  case $1 in
    fuzz_http) echo 4200000 ;;  # up to the 4 MiB body limit and a header section
    fuzz_jsonrpc | fuzz_arguments) echo 65536 ;;
    *) echo 4096 ;;
  esac
}

jobs=${MCPX_BUILD_JOBS:-$(nproc)}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

out=build/fuzz
export MCPX_LOG_LEVEL=${MCPX_LOG_LEVEL:-off}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$out/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz.sh: no target $t (known: ${all[*]})" >&2; exit 2; }
  work=$out/corpus-work/$t
  artifacts=$out/artifacts/$t
  log=$out/logs/$t.log
  rm -rf "$work"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  cp -r fuzz/corpus/"$t"/. "$work"/
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")"
        -print_final_stats=1 -artifact_prefix="$artifacts"/)
  [[ $t == fuzz_http ]] && args+=(-dict=fuzz/http.dict)
  echo "=== $t: ${seconds}s"
  rc=0
  # The outer timeout only guards against a fuzzer that stops responding.
  timeout -k 10 $((seconds * 2 + 120)) "$bin" "${args[@]}" "$work" >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  last_line=${done_line:-$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)}
  field() { sed -nE "s|.*[[:space:]]$1: +([0-9]+).*|\1|p" <<<"$2" | head -n 1; }
  execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -n 1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log" | tail -n 1)
  execs=${execs:-$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last_line")}
  rate=${rate:-$(field exec/s "$last_line")}
  line=$(printf '%-18s %s execs=%s exec/s=%s cov=%s ft=%s corpus=%s' "$t" \
         "$([[ $rc -eq 0 ]] && echo ok || echo "FAILED(rc=$rc)")" "${execs:-?}" "${rate:-?}" \
         "$(field cov "$last_line")" "$(field ft "$last_line")" "$(sed -nE 's|.*corp: ([0-9]+/[0-9A-Za-z]+).*|\1|p' <<<"$last_line")")
  echo "$line"
  summary+=("$line")
  if [[ $rc -ne 0 ]]; then
    failed+=("$t")
    echo "--- $t: last lines of $log"
    tail -n 60 "$log"
    echo "--- artifacts in $artifacts:"
    ls -l "$artifacts"
  fi
done

echo "=== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
total=$(printf '%s\n' "${summary[@]}" | sed -nE 's/.*execs=([0-9]+).*/\1/p' | awk '{n += $1} END {print n + 0}')
echo "total executions: $total"
# The plain closing line CI reads (targets passed and failed).
echo "fuzz: $(( ${#summary[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
