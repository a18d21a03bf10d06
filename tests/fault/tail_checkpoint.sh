#!/bin/sh
# A subscriber killed with SIGKILL and restarted resumes from its
# checkpoint: over 5 kills, every article is printed, none skipped, and at
# most one repeated per kill (the one printed before its checkpoint was
# saved).
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
write_conf "max_article_bytes = 8MB"
N=3000
KILLS=5
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid
for b in 0 1 2; do
  awk -v b="$b" 'BEGIN { printf "["; for (i = 1; i <= 1000; i++) { n = b * 1000 + i;
    printf "%s{\"title\":\"Tin %d\",\"content\":\"Nội dung %d.\"}", (i > 1 ? "," : ""), n, n } print "]" }' >"$T/b$b.json"
done
"$NW_BIN" -c "$T/newswire.conf" submit "$T"/b?.json >/dev/null || fail "submit"

ck="$T/checkpoint"
kills=0
while :; do
  done_so_far=$(cat "$ck" 2>/dev/null || echo 0)
  [ "$done_so_far" -ge "$N" ] && break
  # run the tail itself (not under timeout(1)): $! must be the process we
  # kill; ctest's timeout guards against a hang
  "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --checkpoint "$ck" \
    --count $((N - done_so_far)) >>"$T/out" &
  tp=$!; track $tp
  if [ $kills -lt $KILLS ]; then
    wait_until 60 lines_at_least "$T/out" $(( (kills + 1) * N / (KILLS + 1) )) || fail "no progress"
    kill -9 $tp; wait $tp 2>/dev/null
    kills=$((kills + 1))
  else
    wait $tp || fail "last tail run"
  fi
done
echo "tail killed $kills times; $(wc -l <"$T/out") lines printed for $N articles"
grep -o '"seq":[0-9]*' "$T/out" | cut -d: -f2 >"$T/seqs"
sort -n -u "$T/seqs" >"$T/uniq"
seq 1 $N | cmp -s - "$T/uniq" || fail "some article was never printed"
repeats=$(( $(wc -l <"$T/seqs") - N ))
[ "$repeats" -le "$kills" ] || fail "$repeats repeats for $kills kills"
# in the order printed, seqs never go back by more than the one repeat
awk 'NR > 1 && $1 < prev { back++ } { prev = $1 } END { exit back > '"$kills"' }' "$T/seqs" \
  || fail "out-of-order output"
kill -TERM $pid; wait $pid
finish
