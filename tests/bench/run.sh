#!/bin/sh
# Builds the benchmarks in release mode and runs them. Figures are ratios
# against baselines measured in the same run; see docs/benchmarks.md.
#   tests/bench/run.sh [MEGABYTES]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
shared=${NW_SHARED_DIR:-$top/../shared}
build=build/bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNW_SHARED_DIR="$shared" >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench-parse >/dev/null
"$build/tests/bench/bench-parse" "$shared/corpus" "${1:-100}"
