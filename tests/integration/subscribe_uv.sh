#!/bin/sh
# The libuv adapter (examples/subscribe_uv.c): an application loop that
# replays from seq 1 and follows live articles, across an ingestd restart.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
write_conf
EX="$NW_BUILD_DIR/examples/subscribe-uv"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid
nw submit "$NW_CORPUS/seed/seed.txt" "$NW_CORPUS/dev/json" >"$T/acks" || fail "submit"
n=$(grep -vc '^dup ' "$T/acks")

# replay everything, then two more live articles across a restart
"$EX" "ipc://$T/run/publish.ipc" "ipc://$T/run/replay.ipc" 1 $((n + 2)) >"$T/out" &
ex=$!; track $ex
wait_until 30 lines_at_least "$T/out" "$n" || fail "replay through the uv adapter: $(wc -l <"$T/out") of $n"
kill -TERM $pid; wait $pid
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid
for i in 1 2; do printf 'Tin sau khi khởi động lại %s\n\nNội dung %s.\n' $i $i >"$T/after$i.txt"; done
nw submit "$T/after1.txt" "$T/after2.txt" >/dev/null || fail "submit after restart"
wait $ex
expect_eq "$?" 0 "subscribe-uv exit code"
cut -d' ' -f1 "$T/out" >"$T/seqs"
seq 1 $((n + 2)) | cmp -s - "$T/seqs" || fail "seqs are not 1..$((n + 2)) once each: $(tr '\n' ' ' <"$T/seqs" | tail -c 200)"
tail -1 "$T/out" | grep -q 'Tin sau khi khởi động lại 2' || fail "last article: $(tail -1 "$T/out")"
kill -TERM $pid; wait $pid
finish
