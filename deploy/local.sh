#!/bin/sh
# Runs the whole of newswire locally with embedded defaults: installs what
# is missing, builds, starts ingestd, archiver, indexer and notifier
# (`newswire up`; journal, databases and ipc endpoints under ./var),
# ingests the bundled sample articles, and shows them arriving, archived,
# found by a search and matched by a notification rule. Keeps running until
# Ctrl-C, which stops everything. Safe to run again: the samples are then
# recognised as duplicates.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

deploy/deps.sh --build

build=build/local
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cli="$build/services/cli/newswire"
mkdir -p var
echo "$("$cli" --version), built in $build"

# a rule for the demonstration: security news goes to var/alerts.jsonl
if [ ! -f var/rules.conf ]; then
  cat >var/rules.conf <<'RULES'
# Notification rules (see docs/operations.md). SIGHUP to newswire-notifier reloads them.
[rule security]
match = ANTQ OR "an ninh" OR "công an"
notify = file var/alerts.jsonl
RULES
fi
nw() { "$cli" --set notifier.rules=var/rules.conf "$@"; }

"$cli" --set notifier.rules=var/rules.conf up 2>>var/services.log &
pid=$!
stop() {
  trap - INT TERM EXIT
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" || true
    echo "all services stopped (logs: var/services.log)"
  fi
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
# wait_for SECONDS COMMAND...: retries COMMAND every 0.2 s
wait_for() {
  n=$(( $1 * 5 )); shift
  until "$@" >/dev/null 2>&1; do
    n=$((n - 1))
    if [ "$n" -le 0 ]; then echo "timed out waiting for: $*" >&2; return 1; fi
    sleep 0.2
  done
}

echo
echo "== submitting deploy/samples (seq id path; 'dup' = already journaled)"
nw submit --timeout 30000 deploy/samples/*.txt deploy/samples/*.json | tee var/acks.txt
last=$(awk '{print ($1 == "dup") ? $2 : $1}' var/acks.txt | sort -n | tail -1)

echo
echo "== what a subscriber receives (newswire tail --from 1)"
nw tail --from 1 --count "$last" >var/arrived.jsonl
while IFS= read -r line; do
  printf '%s' "$line" | nw parse --brief --format json -
done <var/arrived.jsonl

echo
echo "== archived (newswire get $last)"
wait_for 30 nw get "$last"
nw get "$last" | nw parse --brief --format json -

echo
echo "== a search (newswire search 'le thuy')"
search_hits() { nw search --limit 3 'le thuy' | grep -q .; }
wait_for 30 search_hits
nw search --limit 3 'le thuy'

echo
echo "== a notification (rule 'security' in var/rules.conf -> var/alerts.jsonl)"
alerts() { [ -s var/alerts.jsonl ]; }
wait_for 30 alerts
echo "$(wc -l <var/alerts.jsonl) alert(s); the first:"
head -1 var/alerts.jsonl | grep -o '"rule":"[^"]*","seq":[0-9]*' || true

echo
echo "newswire is running: ingestd, archiver, indexer, notifier (state in var/)."
echo "Try, from $top in another terminal:"
echo "  $cli tail                      # new articles as they arrive"
echo "  $cli search 'đồng chí'         # full-text search"
echo "  $cli submit FILE               # ingest more"
echo "Ctrl-C stops everything."
wait "$pid"
