#!/bin/sh
# A subscriber that falls behind, or whose ingestd goes silent or away,
# ends with every article exactly once and in order:
#  - tail stopped with SIGSTOP while more articles are published than the
#    publisher queues for it (publish_hwm): it catches up after SIGCONT;
#  - ingestd stopped with SIGSTOP for longer than the heartbeat timeout,
#    then restarted: tail reconnects and replays.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
MPORT=$(free_port)
write_conf "max_article_bytes = 8MB" "publish_hwm = 500" "metrics = 127.0.0.1:$MPORT"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & ipid=$!; track $ipid

# batches of unique articles as JSON arrays: batch B holds articles B*1000+1..
make_batch() {
  awk -v b="$1" 'BEGIN {
    printf "[";
    for (i = 1; i <= 1000; i++) {
      n = b * 1000 + i;
      printf "%s{\"title\":\"Tin số %d\",\"content\":\"Nội dung của tin số %d.\"}", (i > 1 ? "," : ""), n, n;
    }
    print "]";
  }' >"$T/batch$1.json"
}
B=14
TOTAL=$((B * 1000))
b=0
while [ $b -lt $B ]; do make_batch $b; b=$((b + 1)); done

nw submit "$T/batch0.json" >/dev/null || fail "first batch"
# run the tail itself (not under timeout(1)): the SIGSTOP below must reach it
"$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$TOTAL" >"$T/tail" &
tpid=$!; track $tpid
# wait until the subscriber has caught up with the first batch (by replay)
# and ingestd's publish socket has its subscriptions (article and hb), so
# what is published next is queued for it; then freeze it
while [ "$(wc -l <"$T/tail")" -lt 1000 ]; do sleep 0.1; done
subscribed() { curl -s "http://127.0.0.1:$MPORT/metrics" | grep -qx 'newswire_subscribers 2'; }
wait_until 30 subscribed || fail "the subscription never reached ingestd"
kill -STOP $tpid
b=1
while [ $b -lt 12 ]; do nw submit "$T/batch$b.json" >/dev/null || fail "batch $b"; b=$((b + 1)); done
kill -CONT $tpid

# ingestd silent for longer than the heartbeat timeout, then restarted
kill -STOP $ipid
sleep 4
kill -CONT $ipid
nw submit "$T/batch12.json" >/dev/null || fail "batch 12"
kill -TERM $ipid; wait $ipid
stats=$(grep 'msg="ingestd stopped"' "$T/ingestd.log" | head -1)
echo "first ingestd: $stats"
drops=$(echo "$stats" | sed 's/.*publish_drops=\([0-9]*\).*/\1/')
[ "$drops" -gt 0 ] || fail "the stopped subscriber never filled its queue (no publish drops): the test proved nothing"
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & ipid=$!; track $ipid
nw submit "$T/batch13.json" >/dev/null || fail "batch 13"

wait $tpid
expect_eq "$?" 0 "tail exit code"
grep -o '"seq":[0-9]*' "$T/tail" | cut -d: -f2 >"$T/seqs"
expect_eq "$(wc -l <"$T/seqs")" "$TOTAL" "articles received"
seq 1 "$TOTAL" | cmp -s - "$T/seqs" || fail "seqs are not 1..$TOTAL, each once, in order"
expect_eq "$(grep -o '"title":"Tin số [0-9]*"' "$T/tail" | sort -u | wc -l)" "$TOTAL" "distinct articles"
kill -TERM $ipid; wait $ipid
expect_eq "$?" 0 "ingestd exit code"
finish
