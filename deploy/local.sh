#!/bin/sh
# Runs newswire locally with embedded defaults: installs what is missing,
# builds, and shows the bundled sample articles parsed into structured
# articles (var/parsed.jsonl keeps the JSON). Safe to run again.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

deploy/deps.sh

build=build/local
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cli="$build/services/cli/newswire"
mkdir -p var

echo "$("$cli" --version), built in $build"
for f in deploy/samples/*.txt deploy/samples/*.json; do
  echo
  echo "== $f"
  "$cli" parse --brief "$f"
done
"$cli" parse deploy/samples/*.txt deploy/samples/*.json >var/parsed.jsonl
echo
echo "$(wc -l <var/parsed.jsonl) articles parsed; JSON lines in var/parsed.jsonl"
