#!/bin/sh
# kill -9 the archiver, the indexer and the notifier (each at least 10
# times) while articles flow; afterwards the archive and the index hold
# every article exactly once, and every notification was delivered (the
# webhook receiver sees each delivery id; repeats of a delivery cut short
# by a kill carry the same id, which is what receivers de-duplicate on).
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
N=500
KILLS_EACH=10
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
python3 "$NW_SOURCE_DIR/tests/integration/helpers/webhook_receiver.py" "$T/port" "$T/hooks.log" \
  "$SECRET" & track $!
wait_until 10 test -s "$T/port" || fail "receiver did not start"
{
  echo "[rule security]"
  echo "match = \"an ninh\""
  echo "notify = file $T/alerts.jsonl"
  echo "notify = webhook http://127.0.0.1:$(cat "$T/port")/hook"
  echo "secret = $SECRET"
} >"$T/rules.conf"
write_conf
write_stack_conf "rules = $T/rules.conf" "retry_base = 1s"

# every fifth article is about security
mkdir -p "$T/in"
i=1
while [ $i -le $N ]; do
  topic="kinh tế"
  [ $((i % 5)) -eq 0 ] && topic="an ninh trật tự"
  printf 'Bản tin %s về %s\n\nĐoạn mở đầu của bản tin %s về %s.\n\nĐoạn thứ hai %s.\n' \
    $i "$topic" $i "$topic" $i >"$T/in/a$i.txt"
  i=$((i + 1))
done
want_matches=$((N / 5))

for s in ingestd archiver indexer notifier; do start_svc $s; done

# producer: a few files per submit, each until acked
(
  i=1
  while [ $i -le $N ]; do
    if "$NW_BIN" -c "$T/newswire.conf" submit "$T/in/a$i.txt" "$T/in/a$((i + 1)).txt" \
         >>"$T/acks" 2>/dev/null; then
      i=$((i + 2))
    fi
  done
  echo done >"$T/producer.done"
) &
producer=$!
track $producer

# killer: round robin over the three services; each is killed once it
# has stored something since its last start, at a point that varies
kills=0
round=0
while [ $round -lt $KILLS_EACH ]; do
  for s in archiver indexer notifier; do
    sleep "0.$((1 + (kills * 7) % 5))"
    eval "p=\$${s}_pid"
    kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
    wait "$p" 2>/dev/null
    start_svc $s
  done
  round=$((round + 1))
done
echo "services killed $kills times; acks so far: $(wc -l <"$T/acks")"
wait $producer
[ -f "$T/producer.done" ] || fail "producer did not finish"
expect_eq "$(wc -l <"$T/acks")" "$N" "acks"
expect_eq "$(grep -c 'level=error' "$T/ingestd.log")" 0 "ingestd errors"

# everything converges: archive and index hold each article once
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
archived() { [ "$(nw export | wc -l)" -eq "$N" ]; }
wait_until 120 archived || fail "archive holds $(nw export | wc -l) of $N"
nw export | sed 's/.*"seq":\([0-9]*\),.*/\1/' | sort -n >"$T/archived.seqs"
seq 1 "$N" | cmp -s - "$T/archived.seqs" || fail "archived seqs are not 1..$N once each"
index_counts() {
  python3 -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
m = c.execute('select count(*), count(distinct seq), min(seq), max(seq) from meta').fetchone()
d = c.execute('select count(*), count(distinct rowid) from docs_content').fetchone()
print(*m, *d)" "$T/index.db"
}
indexed() { [ "$(index_counts)" = "$N $N 1 $N $N $N" ]; }
wait_until 120 indexed || fail "index: $(index_counts) (want $N $N 1 $N $N $N)"
# searching finds every security article
expect_eq "$(nw search --json --limit 1000 '"an ninh"' | wc -l)" "$want_matches" "search hits for \"an ninh\""

# every match delivered: to the file and to the webhook, each delivery id
# at least once, nothing else
delivered() {
  [ "$(grep -o '"delivery":"[^"]*"' "$T/alerts.jsonl" 2>/dev/null | sort -u | wc -l)" -eq "$want_matches" ] &&
  [ "$(grep '^ok ' "$T/hooks.log" 2>/dev/null | awk '{print $2}' | sort -u | wc -l)" -eq "$want_matches" ]
}
wait_until 120 delivered || fail "delivered: file $(grep -o '"delivery":"[^"]*"' "$T/alerts.jsonl" | sort -u | wc -l), webhook $(grep '^ok ' "$T/hooks.log" | awk '{print $2}' | sort -u | wc -l) of $want_matches"
expect_eq "$(grep -c '^bad ' "$T/hooks.log")" 0 "webhooks with a bad signature"
# the seqs notified are exactly the security articles
grep '^ok ' "$T/hooks.log" | awk '{print $4}' | sort -un >"$T/notified"
nw tail --from 1 --to "$N" --filter '"an ninh"' | sed 's/.*"seq":\([0-9]*\),.*/\1/' | sort -n >"$T/expected"
cmp -s "$T/expected" "$T/notified" || fail "notified seqs differ from the matching articles"
repeats=$(($(grep -c '^ok ' "$T/hooks.log") - want_matches))
echo "webhook deliveries repeated after a kill: $repeats (same webhook-id each time)"
nw dlq list >"$T/dlq" 2>/dev/null
expect_eq "$(wc -l <"$T/dlq")" 0 "dead letters"

for s in ingestd archiver indexer notifier; do stop_svc $s; done
finish
