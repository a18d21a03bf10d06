#!/bin/sh
# kill -9 ingestd over and over (at least 20 times) while a producer
# submits; afterwards every acked article is in the journal exactly once,
# with the seq it was acked with, and a subscriber from seq 1 sees each once.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
N=400
KILLS=20
write_conf
mkdir -p "$T/in"
i=1
while [ $i -le $N ]; do
  printf 'Bài số %s về kiểm thử\n\nĐoạn mở đầu của bài %s.\n\nĐoạn thứ hai %s.\n' $i $i $i >"$T/in/a$i.txt"
  i=$((i + 1))
done

"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & echo $! >"$T/pid"; track $!

# producer: each file until it is acked (resubmitting is safe: dedupe)
(
  i=1
  while [ $i -le $N ]; do
    if "$NW_BIN" -c "$T/newswire.conf" submit --timeout 300 "$T/in/a$i.txt" >>"$T/acks" 2>/dev/null; then
      i=$((i + 1))
    fi
  done
  echo done >"$T/producer.done"
) &
producer=$!
track $producer

# killer: once the restarted ingestd has acked something more, SIGKILL it
# at a point chosen by the clock, and restart it
touch "$T/acks"
kills=0
while [ $kills -lt $KILLS ]; do
  before=$(wc -l <"$T/acks")
  while [ "$(wc -l <"$T/acks")" -le "$before" ] && [ ! -f "$T/producer.done" ]; do
    sleep 0.05
  done
  sleep "0.0$((kills % 9))"   # vary where in the traffic the kill lands
  kill -9 "$(cat "$T/pid")" 2>/dev/null && kills=$((kills + 1))
  wait "$(cat "$T/pid")" 2>/dev/null
  "$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & echo $! >"$T/pid"; track $!
done
echo "ingestd killed $kills times; acks so far: $(wc -l <"$T/acks")"
wait $producer
[ -f "$T/producer.done" ] || fail "producer did not finish"

expect_eq "$(wc -l <"$T/acks")" "$N" "one ack per file"
expect_eq "$(awk '{print ($1=="dup") ? $3 : $2}' "$T/acks" | sort -u | wc -l)" "$N" "distinct ids acked"
# an id is always acked with the same seq
awk '{ if ($1=="dup") print $2" "$3; else print $1" "$2 }' "$T/acks" | sort -u >"$T/acked"
expect_eq "$(wc -l <"$T/acked")" "$N" "each id acked with one seq"
last=$(sort -n "$T/acked" | tail -1 | cut -d' ' -f1)
echo "acked seqs span 1..$last; $(grep -c '^dup ' "$T/acks") acks were duplicates of an earlier attempt"

timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$last" >"$T/tail"
expect_eq "$?" 0 "tail --from 1"
sed 's/.*"id":"\([0-9a-f]*\)","seq":\([0-9]*\).*/\2 \1/' "$T/tail" >"$T/seen"
expect_eq "$(wc -l <"$T/seen")" "$last" "records seen from seq 1"
expect_eq "$(cut -d' ' -f2 "$T/seen" | sort | uniq -d | wc -l)" 0 "no article twice in the journal"
cut -d' ' -f1 "$T/seen" >"$T/seen.seqs"
seq 1 "$last" | cmp -s - "$T/seen.seqs" || fail "seqs are not 1..$last in order"
sort "$T/seen" >"$T/seen.sorted"
missing=$(sort "$T/acked" | comm -23 - "$T/seen.sorted" | wc -l)
expect_eq "$missing" 0 "acked (seq, id) pairs missing from the journal"

kill -TERM "$(cat "$T/pid")"; wait "$(cat "$T/pid")"
expect_eq "$?" 0 "final ingestd exit code"
finish
