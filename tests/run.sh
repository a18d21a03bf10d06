#!/bin/sh
# The whole test suite: install what is missing, build with -Werror and
# ASan+UBSan, run every test with ctest, then run every fuzz target for
# NW_FUZZ_SECONDS (default 30). Exits non-zero on any failure.
#   tests/run.sh [ctest args...]      e.g. tests/run.sh -L unit
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

deploy/deps.sh

build=${NW_TEST_BUILD_DIR:-build/test}
mkdir -p "$build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DNW_WERROR=ON -DNW_SANITIZE=ON >"$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$build" && ctest --output-on-failure -j"$(nproc)" "$@")

# every fuzz target for a bounded time on top of its seeds (libFuzzer,
# ASan+UBSan); a crash fails the run. NW_FUZZ_SECONDS=0 skips this, and
# it is skipped when ctest was given a selection.
secs=${NW_FUZZ_SECONDS:-30}
if [ $# -eq 0 ] && [ "$secs" -gt 0 ]; then
  tests/fuzz/run.sh "$secs"
fi
