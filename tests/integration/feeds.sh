#!/bin/sh
# The feed poller against a local feed server (three loopback addresses,
# so three hosts): conditional GET answered 304, gzip, a redirect, only
# new entries ingested when a feed changes (an edited entry is not new),
# state kept across a restart, 500 with backoff, 429 with Retry-After,
# garbage, a slow host that does not hold up the others, SIGHUP reload,
# a bad feeds file refused at start.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
mkdir -p "$T/www"
python3 "$NW_SOURCE_DIR/tests/integration/helpers/feed_server.py" "$T/ports" "$T/requests" \
  "$T/www" 127.0.0.1 127.0.0.2 127.0.0.3 2>"$T/server.err" &
track $!
wait_until 10 test -s "$T/ports" || { fail "feed server did not start"; finish; }
P1=$(awk '$1 == "127.0.0.1" {print $2}' "$T/ports")
P2=$(awk '$1 == "127.0.0.2" {print $2}' "$T/ports")
P3=$(awk '$1 == "127.0.0.3" {print $2}' "$T/ports")
A="http://127.0.0.1:$P1"; B="http://127.0.0.2:$P2"; C="http://127.0.0.3:$P3"

# a small feed of our own, changed during the test
item() {  # item GUID TITLE TEXT
  printf '<item><guid isPermaLink="false">%s</guid><title>%s</title><link>https://example.vn/%s</link><description>%s</description><pubDate>Tue, 14 Nov 2017 17:4%s:00 +0700</pubDate></item>\n' "$1" "$2" "$1" "$3" "${1#g}"
}
feed() { printf '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Tin thử</title>\n'; cat; printf '</channel></rss>\n'; }
{ item g3 "Tin ba" "Nội dung ba."; item g2 "Tin hai" "Nội dung hai."; item g1 "Tin một" "Nội dung một."; } | feed >"$T/www/own.rss"
cp "$NW_CORPUS/dev/feeds/vn-001-data.rss.xml" "$T/www/vn.rss"
cp "$NW_CORPUS/dev/feeds/rss-parser-010-gulp-atom.atom.xml" "$T/www/atom.xml"

MP=$(free_port)
cat >"$T/feeds" <<EOF
# feeds of the test
$A/own.rss 1s
$B/vn.rss   1s
$A/old.xml 1s
http://localhost:$P1/status500 1s
$B/limited 1s
$C/slow.xml 1s
http://localhost:$P1/garbage 1s
EOF
write_conf "feeds = $T/feeds" "metrics = 127.0.0.1:$MP" "max_article_bytes = 256KB"
start() { "$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid; }
metrics() { curl -s "http://127.0.0.1:$MP/metrics" >"$T/m"; }
# value NAME URL: a per-feed sample from the last metrics
value() { grep "^$1{feed=\"$2\"}" "$T/m" | awk '{print $2}'; }
ingested() { metrics; grep '^newswire_articles_ingested_total ' "$T/m" | awk '{print $2}'; }
at_least() { [ "$($1)" -ge "$2" ] 2>/dev/null; }
not_modified_twice() { metrics; [ "$(value newswire_feed_not_modified_total "$A/own.rss")" -ge 2 ]; }

start
# own (3) + vn (25) + atom through the redirect (10)
wait_until 30 at_least ingested 38 || fail "first polls: $(ingested) articles ingested, want 38"
wait_until 20 not_modified_twice || fail "no 304 answers for an unchanged feed"
metrics
expect_eq "$(ingested)" 38 "nothing ingested twice while feeds are unchanged"
expect_eq "$(value newswire_feed_entries_new_total "$B/vn.rss")" 25 "vn entries"
expect_eq "$(value newswire_feed_entries_new_total "$A/old.xml")" 10 "atom entries through the redirect"
grep -q '^GET /own.rss status=304 inm="[0-9a-f]*" ' "$T/requests" || fail "no conditional GET seen"
grep -q 'ae=.*gzip' "$T/requests" || fail "the poller does not accept gzip"
grep -q 'ua=newswire-ingestd/' "$T/requests" || fail "no honest User-Agent"
grep -q '^GET /atom.xml status=200' "$T/requests" || fail "redirect not followed"

# the slow host holds a transfer; the others went on meanwhile
wait_until 20 grep -q '^GET /slow.xml' "$T/requests" || fail "slow host not polled"
expect_eq "$(grep -c '^GET /slow.xml' "$T/requests")" 1 "one request to the slow host"
# 429 with Retry-After: 3600 -> no second request for an hour
expect_eq "$(grep -c '^GET /limited' "$T/requests")" 1 "requests to the rate-limited feed"
nl=$(value newswire_feed_next_poll_seconds "$B/limited")
[ "${nl%.*}" -gt 3000 ] || fail "Retry-After not honoured: next poll in $nl s"
# 500 -> backoff 2 s, 4 s, 8 s... instead of every second
n500=$(value newswire_feed_polls_total "http://localhost:$P1/status500")
e500=$(value newswire_feed_errors "http://localhost:$P1/status500")
[ "$e500" -ge 1 ] || fail "500 not counted as an error"
[ "$n500" -le 4 ] || fail "500 polled $n500 times: no backoff"
# garbage: a failure with the parser's reason, nothing ingested, daemon fine
garbage_failed() { metrics; [ "$(value newswire_feed_failures_total "http://localhost:$P1/garbage")" -ge 1 ]; }
wait_until 20 garbage_failed || fail "garbage not a failure"
grep -q 'feed poll failed.*garbage.*not an XML feed' "$T/ingestd.log" || fail "garbage reason not logged"

# the feed changes: one new entry, one edited (same guid): only the new one goes in
{ item g4 "Tin bốn" "Nội dung bốn."; item g3 "Tin ba" "Nội dung ba, đã sửa."; item g2 "Tin hai" "Nội dung hai."; item g1 "Tin một" "Nội dung một."; } | feed >"$T/www/own.rss.new"
mv "$T/www/own.rss.new" "$T/www/own.rss"
wait_until 20 at_least ingested 39 || fail "the new entry was not ingested"
not_modified_after() { metrics; [ "$(value newswire_feed_not_modified_total "$A/own.rss")" -gt "$1" ]; }
nm=$(value newswire_feed_not_modified_total "$A/own.rss")
wait_until 20 not_modified_after "$nm" || fail "no 304 after the change"
expect_eq "$(ingested)" 39 "only the new entry is ingested, not the edited one"
curl -s "http://127.0.0.1:$MP/metrics" >/dev/null
timeout 20 "$NW_BIN" -c "$T/newswire.conf" tail --from 39 --count 1 >"$T/last"
grep -q '"title":"Tin bốn"' "$T/last" || fail "seq 39 is not the new entry: $(head -c 200 "$T/last")"
grep -q "\"source\":\"$A/own.rss\"" "$T/last" || fail "source is not the feed URL"

# restart: state (ETag, seen keys) survives; a changed feed gives only its new entry
kill -TERM "$pid"; wait "$pid"
expect_eq "$?" 0 "ingestd exit code with transfers in flight"
grep -q "^feed	$A/own.rss" "$T/journal/feeds.state" || fail "no state file"
{ item g5 "Tin năm" "Nội dung năm."; item g4 "Tin bốn" "Nội dung bốn."; item g3 "Tin ba" "Nội dung ba, lại sửa."; item g2 "Tin hai" "Nội dung hai."; item g1 "Tin một" "Nội dung một."; } | feed >"$T/www/own.rss.new"
mv "$T/www/own.rss.new" "$T/www/own.rss"
start
own_new() { metrics; [ "$(value newswire_feed_entries_new_total "$A/own.rss")" = 1 ]; }
wait_until 20 own_new || fail "after restart: want exactly 1 new entry from own.rss"
vn_polled() { metrics; [ "$(value newswire_feed_polls_total "$B/vn.rss")" -ge 2 ]; }
wait_until 20 vn_polled || fail "vn.rss not polled after restart"
expect_eq "$(value newswire_feed_entries_new_total "$B/vn.rss")" 0 "vn.rss after restart: nothing new"
expect_eq "$(ingested)" 1 "articles ingested after the restart"

# SIGHUP: a feed added, one removed
sed -i '/status500/d' "$T/feeds"
cp "$NW_CORPUS/dev/feeds/rss-parser-011-heraldsun.rss.xml" "$T/www/herald.rss"
echo "$A/herald.rss 1s" >>"$T/feeds"
kill -HUP "$pid"
herald_in() { metrics; [ "$(value newswire_feed_entries_new_total "$A/herald.rss")" = 2 ]; }
wait_until 20 herald_in || fail "feed added by SIGHUP not polled"
grep -q 'status500' "$T/m" && fail "removed feed still in the metrics"
# a broken file on SIGHUP keeps the old list
echo "ftp://nope 1s" >>"$T/feeds"
kill -HUP "$pid"
wait_until 10 grep -q 'feeds file not reloaded' "$T/ingestd.log" || fail "bad reload not refused"
metrics
[ -n "$(value newswire_feed_polls_total "$A/herald.rss")" ] || fail "old list lost after a bad reload"
# newswire stats shows the per-feed health
"$NW_BIN" -c "$T/newswire.conf" stats >"$T/stats" 2>/dev/null
grep -q "^newswire_feed_errors{feed=\"$A/herald.rss\"} 0$" "$T/stats" || fail "feed health missing from newswire stats"
kill -TERM "$pid"; wait "$pid"
expect_eq "$?" 0 "ingestd exit code"

# a bad feeds file stops the daemon at start with file:line
"$D" -c "$T/newswire.conf" 2>"$T/bad.err"
expect_eq "$?" 2 "exit code with a bad feeds file"
grep -q "$T/feeds:9: \"ftp://nope\" is not an http:// or https:// URL" "$T/bad.err" || fail "bad feeds file message: $(cat "$T/bad.err")"
finish
