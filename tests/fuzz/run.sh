#!/bin/sh
# Builds the fuzz targets with clang + libFuzzer (ASan+UBSan) and runs each
# for SECONDS (default 60) over a copy of its seed corpus. New crash inputs
# land in build/fuzz/artifacts/; commit a minimised one under
# tests/fuzz/corpus/TARGET/ with the fix so it replays in every CI run.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"fuzz_text fuzz_json fuzz_feed fuzz_codec fuzz_requests fuzz_http fuzz_expr fuzz_rules fuzz_config fuzz_search"}
shared=${NW_SHARED_DIR:-$top/../shared}

build=build/fuzz
CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DNW_FUZZ=ON -DNW_SANITIZE=ON -DNW_WERROR=ON -DNW_SHARED_DIR="$shared" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
mkdir -p "$build/artifacts"

status=0
for t in $targets; do
  work="$build/work/${t#fuzz_}"
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/"${t#fuzz_}"/* "$work"/ 2>/dev/null || true
  case $t in
    fuzz_text) cp -n "$shared"/corpus/dev/text/* "$work"/ 2>/dev/null || true ;;
    fuzz_json) cp -n "$shared"/corpus/dev/json/* "$work"/ 2>/dev/null || true ;;
    fuzz_feed) cp -n "$shared"/corpus/dev/feeds/* "$work"/ 2>/dev/null || true ;;
  esac
  echo "== $t for ${secs}s"
  if ! "$build/tests/fuzz/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
       "$work" 2>"$build/$t.log"; then
    status=1
    echo "$t FAILED: see $build/$t.log and $build/artifacts/" >&2
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/$t.log" || true
done
exit $status
