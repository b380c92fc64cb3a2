#!/usr/bin/env bash
# Installs everything, builds, and runs every test:
#   1. release (GCC): unit, concurrency, end-to-end (official conformance suite,
#      TypeScript SDK clients);
#   2. clang (Clang, -Wthread-safety -Werror): builds everything (the locking
#      annotations are checked at compile time);
#   3. asan (Clang, ASan + UBSan, absl deadlock detector): the whole suite;
#   4. tsan (Clang, ThreadSanitizer): the tests labelled concurrency;
#   5. fuzz (Clang, libFuzzer + ASan + UBSan): every fuzz target for 60 s
#      (scripts/fuzz.sh; fails on any crash, leak, hang or sanitizer report).
# MCPX_TEST_STAGES limits the stages (e.g. "release" or "release asan").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
stages=${MCPX_TEST_STAGES:-"release clang asan tsan fuzz"}
jobs=$(nproc)
for stage in $stages; do
  echo "=== stage: $stage"
  if [[ $stage == fuzz ]]; then
    scripts/fuzz.sh 60
    continue
  fi
  cmake --preset "$stage" >/dev/null
  cmake --build --preset "$stage" -j "$jobs"
  if [[ $stage != clang ]]; then
    ctest --preset "$stage" -j "$jobs" --output-on-failure
  fi
done
