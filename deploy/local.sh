#!/bin/sh
# Runs newswire locally with embedded defaults: installs what is missing,
# builds, starts newswire-ingestd (journal and endpoints under ./var),
# submits the bundled sample articles, shows them arriving through a
# subscriber, and keeps ingestd running until Ctrl-C. Safe to run again:
# the samples are then recognised as duplicates.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

deploy/deps.sh

build=build/local
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cli="$build/services/cli/newswire"
ingestd="$build/services/ingestd/newswire-ingestd"
mkdir -p var
echo "$("$cli" --version), built in $build"

"$ingestd" 2>>var/ingestd.log &
pid=$!
stop() {
  trap - INT TERM EXIT
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" || true
    echo "newswire-ingestd stopped (log: var/ingestd.log)"
  fi
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

echo
echo "== submitting deploy/samples (seq id path; 'dup' = already journaled)"
"$cli" submit deploy/samples/*.txt deploy/samples/*.json | tee var/acks.txt
last=$(awk '{print ($1 == "dup") ? $2 : $1}' var/acks.txt | sort -n | tail -1)

echo
echo "== what a subscriber receives (newswire tail --from 1)"
"$cli" tail --from 1 --count "$last" >var/arrived.jsonl
while IFS= read -r line; do
  printf '%s' "$line" | "$cli" parse --brief --format json -
done <var/arrived.jsonl

echo
echo "newswire-ingestd is running (journal in var/journal, endpoints var/*.ipc)."
echo "Try: $cli tail      (in another terminal, from $top)"
echo "Ctrl-C stops it."
wait "$pid"
