#!/bin/sh
# A byte flipped in the middle of the journal (not its tail) while ingestd
# is stopped: ingestd starts, says which seq is damaged and counts it,
# refuses to serve that seq (replay gives a gap, HTTP a 410) and serves
# every other one; `newswire journal check` finds it, `repair` refuses
# while ingestd runs, then marks it lost with ingestd stopped; the lost
# article can be submitted again and gets a new seq.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
MP=$(free_port)
HP=$(free_port)
write_conf "metrics = 127.0.0.1:$MP" "http = 127.0.0.1:$HP"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
start() { "$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid; wait_until 10 up || fail "ingestd did not start"; }
stop() { kill -TERM $pid; wait $pid; expect_eq "$?" 0 "ingestd exit after SIGTERM"; }
up() { curl -sf "http://127.0.0.1:$MP/healthz" >/dev/null; }
metric() { curl -s "http://127.0.0.1:$MP/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

start
nw submit "$NW_CORPUS/dev/text" >"$T/acks" 2>"$T/errors"
n=$(grep -c '^[0-9]' "$T/acks")
[ "$n" -ge 20 ] || fail "too few articles journaled: $n"
stop
nw journal check >"$T/check0"
expect_eq "$?" 0 "check of a sound journal"
grep -q "damaged 0, lost 0" "$T/check0" || fail "check summary: $(tail -1 "$T/check0")"

# flip one byte in the middle of the (only) segment file
seg=$(ls "$T/journal"/*.seg | head -1)
size=$(stat -c %s "$seg")
python3 - "$seg" $((size / 2)) <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x5a]))
PY
nw journal check >"$T/check1"
expect_eq "$?" 1 "check exit code with a damaged record"
bad=$(sed -n 's/.*DAMAGED: 1 unreadable (seqs \([0-9]*\)).*/\1/p' "$T/check1")
[ -n "$bad" ] || fail "check does not name one damaged seq: $(cat "$T/check1")"
echo "damaged seq: $bad of $n"
[ "${bad:-0}" -gt 1 ] && [ "${bad:-0}" -lt "$n" ] || fail "the damage is not in the middle: $bad"

start
grep -q 'journal has damaged records' "$T/ingestd.log" || fail "no log line about the damage"
expect_eq "$(metric newswire_journal_damaged_records)" 1 "damaged records gauge"
nw journal repair >"$T/repair_busy" 2>&1
expect_eq "$?" 1 "repair while ingestd runs"
grep -q "in use by a running newswire-ingestd" "$T/repair_busy" || fail "repair refusal: $(cat "$T/repair_busy")"
# every other article is served; the damaged one is reported as a gap
timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count $((n - 1)) >"$T/tail1" 2>"$T/tail1.err"
expect_eq "$(grep -c '"seq"' "$T/tail1")" $((n - 1)) "articles served around the damage"
grep -q "\"seq\":$bad," "$T/tail1" && fail "the damaged seq was served"
grep -q "articles $bad-$bad cannot be served" "$T/tail1.err" || fail "tail not told of the gap: $(cat "$T/tail1.err")"
code=$(curl -s -o "$T/get" -w '%{http_code}' "http://127.0.0.1:$HP/v1/articles/$bad")
expect_eq "$code" 410 "GET of the damaged seq"
grep -q "damaged in the journal" "$T/get" || fail "GET body: $(cat "$T/get")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/v1/articles/$((bad + 1))")
expect_eq "$code" 200 "GET of the next seq"
[ "$(metric newswire_journal_damaged_reads_total)" -ge 2 ] || fail "damaged reads not counted"
# ingest goes on after the damage
printf 'Bài viết sau khi hỏng\n\nMột đoạn văn mới sau sự cố.\n' >"$T/new.txt"
expect_eq "$(nw submit "$T/new.txt" | awk '{print $1}')" $((n + 1)) "seq of a new article"
stop

nw journal repair >"$T/repair"
expect_eq "$?" 0 "repair with ingestd stopped"
grep -q "repaired" "$T/repair" || fail "repair output: $(cat "$T/repair")"
ls "$T/journal"/*.seg.damaged >/dev/null 2>&1 || fail "the damaged original was not kept"
nw journal check >"$T/check2"
expect_eq "$?" 0 "check after repair"
grep -q "1 lost (seqs $bad)" "$T/check2" || fail "check after repair: $(cat "$T/check2")"

start
grep -q 'records lost to damage' "$T/ingestd.log" || fail "no log line about the lost record"
timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$n" >"$T/tail2" 2>"$T/tail2.err"
expect_eq "$(grep -c '"seq"' "$T/tail2")" "$n" "articles served after repair"
grep -q "articles $bad-$bad cannot be served" "$T/tail2.err" || fail "tail not told of the lost seq"
# the lost article's content is taken again, under a new seq
file=$(awk -v s="$bad" '$1 == s { print $3 }' "$T/acks")
expect_eq "$(nw submit "$file" | awk '{print $1}')" $((n + 2)) "seq of the lost article submitted again"
stop
finish
