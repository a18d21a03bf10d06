#!/bin/sh
# Builds the benchmarks in release mode and runs them. Figures are ratios
# against baselines measured in the same run; see docs/benchmarks.md.
#   tests/bench/run.sh [parse|pipeline|services|all] [SIZE]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
shared=${NW_SHARED_DIR:-$top/../shared}
build=build/bench
which=${1:-all}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNW_SHARED_DIR="$shared" >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench-parse bench-pipeline bench-services newswire-ingestd >/dev/null
if [ "$which" = parse ] || [ "$which" = all ]; then
  "$build/tests/bench/bench-parse" "$shared/corpus" "${2:-100}"
fi
if [ "$which" = pipeline ] || [ "$which" = all ]; then
  "$build/tests/bench/bench-pipeline" "$build/services/ingestd/newswire-ingestd" "${2:-20000}"
fi
if [ "$which" = services ] || [ "$which" = all ]; then
  "$build/tests/bench/bench-services" "$shared/corpus" "${2:-40000}"
fi
