#!/bin/sh
# libnewswire on an application's libuv loop, through the shared library:
# the asynchronous producer (examples/submit_uv.c) with every file in
# flight at once, its timeouts, and a subscriber's checkpoint file hooks
# (examples/subscribe_uv.c).
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
write_conf
SUBMIT="$NW_BUILD_DIR/examples/submit-uv"
SUB="$NW_BUILD_DIR/examples/subscribe-uv"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid

# the whole dev corpus in flight at once
"$SUBMIT" "ipc://$T/run/submit.ipc" 30000 "$NW_CORPUS/seed/seed.txt" \
  "$NW_CORPUS"/dev/text/* "$NW_CORPUS"/dev/json/* >"$T/acks1" 2>"$T/err1"
expect_eq "$?" 0 "submit-uv exit code ($(head -3 "$T/err1" "$T/acks1"))"
new=$(grep -vc '^dup \|^rejected \|^timeout ' "$T/acks1")
[ "$new" -gt 200 ] || fail "only $new new articles acked"
expect_eq "$(grep -c '^rejected \|^timeout ' "$T/acks1")" 0 "rejections or timeouts"
# seqs of the new ones are 1..new, each once
grep -v '^dup ' "$T/acks1" | cut -d' ' -f1 | sort -n >"$T/seqs1"
seq 1 "$new" | cmp -s - "$T/seqs1" || fail "acked seqs are not 1..$new once each"

# again: every article is a duplicate answered with its first seq and id
"$SUBMIT" "ipc://$T/run/submit.ipc" 30000 "$NW_CORPUS/seed/seed.txt" \
  "$NW_CORPUS"/dev/text/* "$NW_CORPUS"/dev/json/* >"$T/acks2" 2>&1
expect_eq "$?" 0 "second submit-uv exit code"
expect_eq "$(grep -vc '^dup ' "$T/acks2")" 0 "non-duplicates on the second run"
grep -v '^dup ' "$T/acks1" | sort >"$T/first"
sed 's/^dup //' "$T/acks2" | sort -u >"$T/again"
cut -d' ' -f1,2 "$T/first" | sort -u >"$T/first.ids"
cut -d' ' -f1,2 "$T/again" | sort -u >"$T/again.ids"
cmp -s "$T/first.ids" "$T/again.ids" || fail "duplicates do not carry the original seq and id"

# the journal holds each once: a subscriber from seq 1 sees 1..new
nw tail --from 1 --count "$new" >"$T/tail" || fail "tail"
expect_eq "$(wc -l <"$T/tail")" "$new" "articles seen by tail"

# no ingestd behind the endpoint: each file times out, exit 1
"$SUBMIT" "ipc://$T/run/nobody.ipc" 300 "$NW_CORPUS/seed/seed.txt" \
  "$NW_CORPUS/dev/json/$(ls "$NW_CORPUS/dev/json" | head -1)" >"$T/acks3" 2>&1
expect_eq "$?" 1 "exit code with nobody answering"
expect_eq "$(grep -c '^timeout ' "$T/acks3")" 2 "timeouts reported"

# checkpoint hooks: 10 articles, then 5 more resuming after the saved seq
"$SUB" "ipc://$T/run/publish.ipc" "ipc://$T/run/replay.ipc" 1 10 "$T/ckpt" >"$T/sub1" ||
  fail "subscribe-uv with a checkpoint"
expect_eq "$(cut -d' ' -f1 "$T/sub1" | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 10 " "first run's seqs"
expect_eq "$(cat "$T/ckpt")" 10 "checkpoint after the first run"
"$SUB" "ipc://$T/run/publish.ipc" "ipc://$T/run/replay.ipc" 1 5 "$T/ckpt" >"$T/sub2" ||
  fail "subscribe-uv resuming"
expect_eq "$(cut -d' ' -f1 "$T/sub2" | tr '\n' ' ')" "11 12 13 14 15 " "resumed run's seqs"
expect_eq "$(cat "$T/ckpt")" 15 "checkpoint after the second run"
# a checkpoint that cannot be read stops the start with the reason
echo garbage >"$T/bad.ckpt"
"$SUB" "ipc://$T/run/publish.ipc" "ipc://$T/run/replay.ipc" 1 5 "$T/bad.ckpt" >/dev/null 2>"$T/bad.err"
expect_eq "$?" 1 "exit code with an unreadable checkpoint"
grep -q 'checkpoint' "$T/bad.err" || fail "no reason for the bad checkpoint: $(cat "$T/bad.err")"
kill -TERM $pid; wait $pid
expect_eq "$?" 0 "ingestd exit code"
finish
