#!/usr/bin/env bash
# Installs everything, builds, and runs every test:
#   1. release build: unit, integration, conformance-suite and SDK-client tests;
#   2. asan preset (ASan + UBSan, Clang): the whole suite again;
#   3. tsan preset (ThreadSanitizer, Clang): the tests labelled concurrency.
# MCPX_TEST_STAGES limits the stages (e.g. "release" or "release asan").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
stages=${MCPX_TEST_STAGES:-"release asan tsan"}
jobs=$(nproc)
for stage in $stages; do
  echo "=== stage: $stage"
  cmake --preset "$stage" >/dev/null
  cmake --build --preset "$stage" -j "$jobs"
  ctest --preset "$stage" -j "$jobs"
done
