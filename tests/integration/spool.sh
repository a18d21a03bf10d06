#!/bin/sh
# The spool directory: files present at start and dropped later are
# ingested and moved to done/; bad ones go to failed/ with NAME.error; a
# file whose content is already journaled (as after a crash between append
# and move) is not ingested twice.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
write_conf "spool_dir = $T/spool"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
S="$T/spool"
mkdir -p "$S"
# drop NAME: stdin becomes spool file NAME, written under a hidden temporary
# name and renamed into place (the convention producers follow: a file
# written in place can be read half-written)
drop() { cat >"$S/.$1.tmp" && mv "$S/.$1.tmp" "$S/$1"; }
drop seed.txt <"$NW_CORPUS/seed/seed.txt"                          # present at start
drop one.json <"$NW_CORPUS/dev/json/vnexpress-001.json"

"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid
wait_until 30 test -f "$S/done/seed.txt" -a -f "$S/done/one.json" || fail "files present at start not done"

# dropped while running
printf 'Tin thả vào thư mục\n\nNội dung của tin.\n' | drop drop.txt
wait_until 30 test -f "$S/done/drop.txt" || fail "dropped file not done"

# bad input lands in failed/ with the reason
printf '' | drop empty.txt
printf 'caf\351\n\nbody\n' | drop latin1.txt
printf '[{"title":"Tốt","content":"x"},{"content":"no title"}]' | drop mixed.json
wait_until 30 test -f "$S/failed/empty.txt.error" -a -f "$S/failed/latin1.txt.error" \
  -a -f "$S/failed/mixed.json.error" || fail "bad files not moved to failed/"
grep -qx "empty.txt: empty input" "$S/failed/empty.txt.error" || fail "empty reason: $(cat "$S/failed/empty.txt.error")"
grep -q "^latin1.txt: not valid UTF-8" "$S/failed/latin1.txt.error" || fail "latin-1 reason"
grep -q "^mixed.json#2: record 2: no title" "$S/failed/mixed.json.error" || fail "record reason: $(cat "$S/failed/mixed.json.error")"
[ ! -e "$S/empty.txt" ] || fail "failed file left in the spool"

# already journaled content (the state a crash between append and move
# leaves behind) is recognised, not ingested again
nw submit "$NW_CORPUS/dev/text/baomoi-001.txt" >"$T/ack" || fail "submit"
drop again.txt <"$NW_CORPUS/dev/text/baomoi-001.txt"
wait_until 30 test -f "$S/done/again.txt" || fail "re-dropped file not done"

# hidden and temporary names are left alone
printf 'x\n' >"$S/.hidden"; printf 'x\n' >"$S/partial.part"
kill -TERM $pid; wait $pid
expect_eq "$?" 0 "ingestd exit code"
[ -f "$S/.hidden" ] && [ -f "$S/partial.part" ] || fail "hidden or partial files were taken"

# the journal holds each distinct article once: seed, one.json (1 record),
# drop.txt, the good record of mixed.json, baomoi-001 = 5
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid
timeout 30 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count 5 >"$T/all"
expect_eq "$(grep -o '"id":"[0-9a-f]*"' "$T/all" | sort -u | wc -l)" 5 "distinct articles journaled"
stats=$(grep 'msg="ingestd stopped"' "$T/ingestd.log" | head -1)
echo "$stats"
echo "$stats" | grep -q 'spool_done=4 spool_failed=3' || fail "spool counters"
kill -TERM $pid; wait $pid
finish
