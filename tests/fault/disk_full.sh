#!/bin/sh
# The journal on a small tmpfs that fills up: submits are refused with a
# "no space" reason and counted, every acked article stays readable in
# order, nothing is corrupted (a restart recovers without cutting
# anything), and ingest resumes by itself, with the next seqs, once
# space is freed. Skipped (77) where a tmpfs cannot be mounted.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
mkdir -p "$T/disk"
mount -t tmpfs -o size=1200k tmpfs "$T/disk" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs (not root?)"; exit 77; }
trap 'umount -l "$T/disk" 2>/dev/null; cleanup' EXIT
MP=$(free_port)
write_conf "metrics = 127.0.0.1:$MP"
sed -i "s|^data_dir = .*|data_dir = $T/disk/journal|" "$T/newswire.conf"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
start() { "$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid; }
up() { curl -sf "http://127.0.0.1:$MP/healthz" >/dev/null; }

# 300 articles of about 6 KB: more than the disk holds
mkdir -p "$T/in"
i=1
while [ $i -le 300 ]; do
  {
    printf 'Bài số %03d về ổ đĩa đầy\n\n' $i
    j=0
    while [ $j -lt 40 ]; do printf 'Đoạn %d của bài %d, viết để lấp đầy đĩa nhỏ của phép thử.\n\n' $j $i; j=$((j + 1)); done
  } >"$T/in/a$(printf %03d $i).txt"
  i=$((i + 1))
done
head -c 200000 /dev/zero >"$T/disk/filler"   # freed later

start
wait_until 10 up || fail "ingestd did not start"
nw submit "$T/in" >"$T/acks" 2>"$T/errors"
expect_eq "$?" 1 "submit exit code on a full disk"
acked=$(grep -c '^[0-9]' "$T/acks")
refused=$(grep -c 'No space left on device' "$T/errors")
echo "full disk: $acked acked, $refused refused"
[ "$acked" -gt 10 ] || fail "too few articles acked before the disk filled: $acked"
[ "$refused" -gt 0 ] || fail "no refusal says 'No space left on device': $(head -2 "$T/errors")"
expect_eq "$((acked + refused))" 300 "every article acked or refused with a reason"
grep -q 'journal write failed: No space left on device; retry later' "$T/errors" || fail "refusal reason: $(head -1 "$T/errors")"
curl -s "http://127.0.0.1:$MP/metrics" >"$T/m"
grep -q "^newswire_articles_rejected_total{reason=\"unavailable\"} $refused$" "$T/m" || fail "refusals not counted: $(grep rejected "$T/m")"
expect_eq "$(awk '{print $1}' "$T/acks" | tr '\n' ' ')" "$(seq 1 "$acked" | tr '\n' ' ')" "acked seqs are 1..$acked in order"

# every acked article reads back, in order
timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$acked" >"$T/tail1"
expect_eq "$(grep -c '"seq"' "$T/tail1")" "$acked" "acked articles readable while the disk is full"

# space freed: ingest resumes by itself, with the next seqs
rm -f "$T/disk/filler"
for f in "$T/in"/*.txt; do
  grep -q " $f$" "$T/acks" || echo "$f"
done >"$T/left"
nw submit $(cat "$T/left" | head -20) >"$T/acks2" 2>"$T/errors2"
expect_eq "$?" 0 "submit after space was freed"
expect_eq "$(awk '{print $1}' "$T/acks2" | head -1)" $((acked + 1)) "first seq after the disk filled"
expect_eq "$(grep -c '^dup ' "$T/acks2")" 0 "refused articles were not journaled"
total=$((acked + $(grep -c '^[0-9]' "$T/acks2")))

# restart: the journal recovers without cutting anything
kill -TERM $pid; wait $pid
expect_eq "$?" 0 "ingestd exit code"
start
wait_until 10 up || fail "ingestd did not restart"
grep 'journal opened' "$T/ingestd.log" | tail -1 | grep -q "last_seq=$total truncated_bytes=0" \
  || fail "recovery after the full disk: $(grep 'journal opened' "$T/ingestd.log" | tail -1)"
timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$total" >"$T/tail2"
expect_eq "$(grep -c '"seq"' "$T/tail2")" "$total" "every acked article after the restart"
kill -TERM $pid; wait $pid
finish
