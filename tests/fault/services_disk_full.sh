#!/bin/sh
# The archiver's and the indexer's SQLite files on a small tmpfs that fills
# up while articles flow: each service pauses (store_failing 1, /healthz
# 503), keeps its checkpoint, tries again with backoff, and once space is
# freed catches up by replay: every journaled article stored exactly once,
# the databases pass an integrity check. Skipped (77) where a tmpfs cannot
# be mounted.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
mkdir -p "$T/disk"
mount -t tmpfs -o size=32m tmpfs "$T/disk" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs (not root?)"; exit 77; }
trap 'umount -l "$T/disk" 2>/dev/null; cleanup' EXIT
MP=$(free_port); AM=$(free_port); IM=$(free_port)
write_conf "metrics = 127.0.0.1:$MP"
printf '[archiver]\ndb = %s\nmetrics = 127.0.0.1:%s\n[indexer]\ndb = %s\nquery = ipc://%s/run/query.ipc\nmetrics = 127.0.0.1:%s\n' \
  "$T/disk/archive.db" "$AM" "$T/disk/index.db" "$T" "$IM" >>"$T/newswire.conf"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k { print $2 }'; }
health() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthz"; }
"$D" -c "$T/newswire.conf" 2>"$T/ingestd.log" & ingestd_pid=$!; track $ingestd_pid
wait_until 10 curl -sf "http://127.0.0.1:$MP/healthz" || fail "ingestd did not start"
start_svc archiver
start_svc indexer
wait_until 10 curl -sf "http://127.0.0.1:$AM/healthz" || fail "archiver did not start"
wait_until 10 curl -sf "http://127.0.0.1:$IM/healthz" || fail "indexer did not start"

# leave about 1 MB: less than the corpus needs in either database
free_kb=$(df -k "$T/disk" | awk 'NR == 2 { print $4 }')
head -c $(( (free_kb - 1024) * 1024 )) /dev/zero >"$T/disk/filler"
nw submit "$NW_CORPUS/dev/text" "$NW_CORPUS/dev/json" >"$T/acks" 2>"$T/submit.err"
total=$(grep -c '^[0-9]' "$T/acks")
last=$(awk '$1 ~ /^[0-9]+$/ { s = $1 } END { print s }' "$T/acks")
echo "journaled $total articles, last seq $last"
[ "$total" -ge 200 ] || fail "too few articles journaled: $total"

for s in archiver:$AM indexer:$IM; do
  name=${s%%:*}; port=${s#*:}
  wait_until 60 sh -c "curl -s http://127.0.0.1:$port/metrics | grep -q '^newswire_${name}_store_failing 1'" \
    || fail "$name did not report a failing store"
  expect_eq "$(health "$port")" 503 "$name /healthz while its disk is full"
  cp=$(metric "$port" "newswire_${name}_checkpoint_seq")
  echo "$name paused at checkpoint $cp of $last"
  [ "${cp:-0}" -lt "$last" ] || fail "$name stored everything on a full disk?"
  grep -q 'cannot store a batch; delivery paused' "$T/$name.log" || fail "$name log: $(tail -3 "$T/$name.log")"
  kill -0 "$(eval echo \$${name}_pid)" || fail "$name exited on a full disk"
done
# still full: the services stay up and keep trying
sleep 3
for s in archiver:$AM indexer:$IM; do
  name=${s%%:*}; port=${s#*:}
  [ "$(metric "$port" "newswire_${name}_store_failures_total")" -ge 2 ] || fail "$name does not try again"
done

# space freed: both catch up by themselves
rm -f "$T/disk/filler"
for s in archiver:$AM indexer:$IM; do
  name=${s%%:*}; port=${s#*:}
  wait_until 90 sh -c "curl -s http://127.0.0.1:$port/metrics | grep -q '^newswire_${name}_checkpoint_seq $last\$'" \
    || fail "$name did not catch up: checkpoint $(metric "$port" "newswire_${name}_checkpoint_seq") of $last"
  expect_eq "$(metric "$port" "newswire_${name}_store_failing")" 0 "$name store_failing after space was freed"
  expect_eq "$(health "$port")" 200 "$name /healthz after space was freed"
  grep -q 'storing works again' "$T/$name.log" || fail "$name did not log the recovery"
done
stop_svc archiver
stop_svc indexer
expect_eq "$(sqlite3 "$T/disk/archive.db" 'PRAGMA integrity_check')" ok "archive integrity"
expect_eq "$(sqlite3 "$T/disk/index.db" 'PRAGMA integrity_check')" ok "index integrity"
expect_eq "$(sqlite3 "$T/disk/archive.db" 'SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM articles')" \
  "$total|$total|1|$last" "archive holds every article once"
expect_eq "$(sqlite3 "$T/disk/index.db" 'SELECT count(*), count(DISTINCT seq) FROM meta')" \
  "$total|$total" "index holds every article once"
kill -TERM $ingestd_pid; wait $ingestd_pid
finish
