#!/usr/bin/env bash
# Runs the session-directory microbenchmark and writes a markdown table
# (ops/s per map and thread count, plus the ratios issue 3 asks for) to
# stdout and to docs/directory-bench.md.
# Each benchmark runs REPS times in random order (so slow spells of a shared
# machine hit every row alike) and the table shows medians.
# Usage: bench/directory.sh   (needs a release build)
# Env:   REPS=5, MIN_TIME=0.3, OUT=docs/directory-bench.md ('' to skip writing)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
MIN_TIME=${MIN_TIME:-0.3}
REPS=${REPS:-5}
OUT=${OUT-docs/directory-bench.md}
csv=$(mktemp)
"$BUILD/bench/directory_bench" --benchmark_min_time="$MIN_TIME" --benchmark_repetitions="$REPS" \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_format=csv 2>/dev/null >"$csv"
out=$(mktemp)
{
  echo "## Session directory microbenchmark ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores)"
  echo
  echo "Million operations/s over 100k sessions (\`bench/directory.sh\`: median of $REPS randomly interleaved runs, real time, min time ${MIN_TIME}s each)."
  echo "read95 = 95% lookup, 4% touch, 1% create+remove; churn50 = 50% lookup, 25% create, 25% remove."
  echo "Thread counts above the core count are oversubscribed and show behaviour under contention, not scaling."
  echo
  awk -F, '
    NR > 1 {
      gsub(/"/, "", $1)
      if ($1 !~ /_median$/) next
      sub(/_median$/, "", $1)
      split($1, p, "/")        # mix/map/real_time/threads:N
      mix = p[1]; map = p[2]; sub("threads:", "", p[4]); t = p[4]
      for (i = 1; i <= NF; i++) if (hdr[i] == "items_per_second") v = $i
      val[mix, map, t] = v / 1e6; maps[map] = 1; mixes[mix] = 1; threads[t] = 1
      next
    }
    { for (i = 1; i <= NF; i++) hdr[i] = $i }
    END {
      nt = split("1 2 4 8 16", ts, " ")
      split("GlobalMutexMap ShardedDirectory TbbMap CuckooMap", order, " ")
      names["GlobalMutexMap"] = "global std::mutex + unordered_map"
      names["ShardedDirectory"] = "mcpx directory"
      names["TbbMap"] = "TBB concurrent_hash_map"
      names["CuckooMap"] = "libcuckoo"
      for (m = 1; m <= 2; m++) {
        mix = (m == 1) ? "read95" : "churn50"
        printf "| %s | 1 thr | 2 thr | 4 thr | 8 thr | 16 thr |\n|---|---|---|---|---|---|\n", mix
        for (k = 1; k <= 4; k++) {
          map = order[k]; printf "| %s |", names[map]
          for (j = 1; j <= nt; j++) printf " %.2f |", val[mix, map, ts[j]]
          printf "\n"
        }
        best = 0
        for (k = 3; k <= 4; k++) if (val[mix, order[k], 2] > best) best = val[mix, order[k], 2]
        printf "\n%s ratios at 2 threads: mcpx 2 thr / 1 thr %.2f (target >= 1.8); mcpx / global mutex %.2f (target >= 3); mcpx / best library %.2f (target >= 1).\n\n",
          mix, val[mix, "ShardedDirectory", 2] / val[mix, "ShardedDirectory", 1],
          val[mix, "ShardedDirectory", 2] / val[mix, "GlobalMutexMap", 2], val[mix, "ShardedDirectory", 2] / best
      }
    }' "$csv"
} >"$out"
cat "$out"
[[ -n "$OUT" ]] && cp "$out" "$OUT"
rm -f "$csv" "$out"
