#!/bin/sh
# ingestd's /metrics and /healthz: Prometheus counters that follow what
# happened, health, errors for other routes, methods and oversized headers.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
port=$((20000 + $$ % 20000))
write_conf "metrics = 127.0.0.1:$port" "max_article_bytes = 8MB"
"$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid
url="http://127.0.0.1:$port"
wait_until 30 curl -sf "$url/healthz" -o /dev/null || fail "healthz never answered (port $port)"
expect_eq "$(curl -s "$url/healthz")" "ok" "healthz body"

"$NW_BIN" -c "$T/newswire.conf" submit "$NW_CORPUS/seed/seed.txt" >/dev/null || fail "submit"
"$NW_BIN" -c "$T/newswire.conf" submit "$NW_CORPUS/seed/seed.txt" >/dev/null || fail "resubmit"
printf '' >"$T/empty.txt"
"$NW_BIN" -c "$T/newswire.conf" submit "$T/empty.txt" 2>/dev/null
curl -s "$url/metrics" >"$T/m"
grep -qx 'newswire_articles_ingested_total 1' "$T/m" || fail "ingested counter: $(grep ingested "$T/m")"
grep -qx 'newswire_articles_duplicate_total 1' "$T/m" || fail "duplicate counter"
grep -qx 'newswire_articles_rejected_total{reason="invalid"} 1' "$T/m" || fail "rejected counter"
grep -qx 'newswire_journal_last_seq 1' "$T/m" || fail "journal last seq"
grep -q '^newswire_journal_fsync_total [1-9]' "$T/m" || fail "fsync counter"
grep -q '^# TYPE newswire_published_total counter' "$T/m" || fail "TYPE lines"

expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")" 404 "unknown route"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")" 405 "POST"
big=$(head -c 9000 /dev/zero | tr '\0' 'x')
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$url/metrics")" 431 "oversized headers"
# keep-alive: the second request reuses the first one's connection
expect_eq "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' "$url/healthz" "$url/healthz")" "1 0 " \
  "new connections per request with keep-alive"

# replay in full batches: 3,000 more articles, then a subscriber from seq 1
# must need exactly 4 requests (1,000 records each, then 1): a batch whose
# end marker is lost would show as extra requests after client timeouts
for b in 0 1 2; do
  awk -v b="$b" 'BEGIN { printf "["; for (i = 1; i <= 1000; i++) { n = b * 1000 + i;
    printf "%s{\"title\":\"Tin %d\",\"content\":\"Nội dung %d.\"}", (i > 1 ? "," : ""), n, n } print "]" }' >"$T/b$b.json"
done
"$NW_BIN" -c "$T/newswire.conf" submit "$T"/b?.json >/dev/null || fail "batches"
timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count 3001 >/dev/null || fail "tail of 3001"
curl -s "$url/metrics" >"$T/m2"
grep -qx 'newswire_replay_requests_total 4' "$T/m2" || fail "replay requests: $(grep replay_requests "$T/m2" | tail -1)"
grep -qx 'newswire_replayed_total 3001' "$T/m2" || fail "replayed: $(grep replayed_total "$T/m2" | tail -1)"

# newswire stats shows the same counters
"$NW_BIN" -c "$T/newswire.conf" stats >"$T/stats"
expect_eq "$?" 0 "stats exit code"
grep -qx "== ingestd (127.0.0.1:$port)" "$T/stats" || fail "stats header: $(head -1 "$T/stats")"
grep -qx 'newswire_articles_ingested_total 3001' "$T/stats" || fail "stats counters: $(grep ingested_total "$T/stats")"

kill -TERM $pid; wait $pid
expect_eq "$?" 0 "ingestd exit code"
"$NW_BIN" -c "$T/newswire.conf" stats >/dev/null 2>"$T/err"
expect_eq "$?" 1 "stats with ingestd down"
grep -q "^ingestd: not reachable at http://127.0.0.1:$port/metrics" "$T/err" || fail "stats error: $(cat "$T/err")"
"$NW_BIN" stats 2>/dev/null; expect_eq "$?" 1 "stats with no metrics configured"
finish
