#!/bin/sh
# ingestd end to end: submit the dev corpus, tail it back from seq 1 (each
# article once, in order), restart (dedupe and replay survive), rejected
# input, a live subscriber, clean shutdown.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
write_conf
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
start() { "$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid; }
stop() {
  kill -TERM "$pid"; wait "$pid"; rc=$?
  expect_eq "$rc" 0 "ingestd exit code after SIGTERM"
}

start
nw submit "$NW_CORPUS/seed/seed.txt" "$NW_CORPUS/dev/text" "$NW_CORPUS/dev/json" >"$T/acks" 2>"$T/sub.err"
expect_eq "$?" 0 "submit of the corpus"
total=$(wc -l <"$T/acks")
new=$(grep -vc '^dup ' "$T/acks")
echo "submitted: $total acks, $new new articles"
[ "$total" -ge 250 ] || fail "expected at least 250 acks, got $total"
# the new articles got seqs 1..new, in the order they were submitted
grep -v '^dup ' "$T/acks" | awk '{print $1}' >"$T/seqs"
seq 1 "$new" | cmp -s - "$T/seqs" || fail "new articles did not get seqs 1..$new in order"

# tail from 1: every article once, in seq order, with the acked ids
timeout 30 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$new" >"$T/tail1"
expect_eq "$?" 0 "tail --from 1 exit code"
sed 's/.*"id":"\([0-9a-f]*\)","seq":\([0-9]*\).*/\2 \1/' "$T/tail1" >"$T/tail1.ids"
grep -v '^dup ' "$T/acks" | awk '{print $1" "$2}' | cmp -s - "$T/tail1.ids" \
  || fail "tail --from 1 does not match the acks"

# restart: dedupe and the journal survive
stop
start
nw submit "$NW_CORPUS/seed/seed.txt" >"$T/dup"
grep -q "^dup 1 $(awk 'NR==1{print $2}' "$T/acks") " "$T/dup" || fail "resubmit after restart: $(cat "$T/dup")"
timeout 30 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$new" >"$T/tail2"
cmp -s "$T/tail1" "$T/tail2" || fail "replay after restart differs"

# rejected input: reasons on stderr, exit 1, nothing journaled
printf '' >"$T/empty.txt"
printf '[{"title":"Một","content":"x"},{"content":"no title"}]' >"$T/batch.json"
nw submit "$T/empty.txt" "$T/batch.json" >"$T/out" 2>"$T/err"; rc=$?
expect_eq "$rc" 1 "submit with rejections"
grep -qx "$T/empty.txt: empty input" "$T/err" || fail "empty reason: $(cat "$T/err")"
grep -q "^$T/batch.json#2: record 2: no title" "$T/err" || fail "record reason: $(cat "$T/err")"
expect_eq "$(wc -l <"$T/out")" 1 "the good record of the batch is acked"

# a subscriber started before the articles exist gets them (live, or by
# replay if its subscription was not in place yet: either way once)
next=$((new + 2))   # the batch's good record took new + 1
"$NW_BIN" -c "$T/newswire.conf" tail --from "$next" --count 2 >"$T/live" &
tailpid=$!
track $tailpid
for i in 1 2; do printf 'Tin trực tiếp %s\n\nNội dung số %s.\n' "$i" "$i" >"$T/live$i.txt"; done
nw submit "$T/live1.txt" "$T/live2.txt" >/dev/null
wait "$tailpid"
expect_eq "$?" 0 "live tail exit code"
expect_eq "$(grep -c 'Tin trực tiếp' "$T/live")" 2 "live tail got both new articles"

stop
grep -q 'msg="ingestd stopped"' "$T/ingestd.log" || fail "no clean stop logged"

# usage and config errors
"$D" --version | grep -q '^newswire-ingestd ' || fail "--version"
"$D" --set ingestd.fsync=sometimes 2>/dev/null; expect_eq "$?" 2 "bad --set exit code"
"$D" --bogus 2>/dev/null; expect_eq "$?" 2 "unknown argument exit code"
finish
