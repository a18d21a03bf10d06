#!/bin/sh
# ingestd's HTTP API with curl: bearer token, POST of text, JSON and feeds
# (202 after the durable ack, dup on resubmit, 400/401/413/415 with a
# reason), GET by seq, by id and by range, keep-alive, limits, and
# /v1/stream: an EventSource-style client that drops its connection every
# few events and resumes with Last-Event-ID while articles are being
# posted gets every article exactly once, in order. Reads need the token
# too unless [security] http_reads = open; so do the indexer's searches.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
printf 'test-token-0123456789abcdef\n' >"$T/token"
write_conf "http = 127.0.0.1:$PORT" "max_article_bytes = 64KB"
printf '[security]\nhttp_token_file = %s\nhttp_reads = open\n' "$T/token" >>"$T/newswire.conf"
AUTH="Authorization: Bearer test-token-0123456789abcdef"
start() { "$D" -c "$T/newswire.conf" 2>>"$T/ingestd.log" & pid=$!; track $pid; }
up() { curl -sf "$U/healthz" >/dev/null; }
# post FILE CONTENT_TYPE [curl args...]: prints "STATUS BODY"
post() {
  f=$1; ct=$2; shift 2
  curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Content-Type: $ct" "$@" \
    --data-binary @"$f" "$U/v1/articles" >"$T/code"
  echo "$(cat "$T/code") $(cat "$T/body")"
}

start
wait_until 10 up || fail "ingestd HTTP API did not come up"
seed="$NW_CORPUS/seed/seed.txt"

# writes need the token
r=$(post "$seed" text/plain)
expect_eq "${r%% *}" 401 "POST without a token"
r=$(post "$seed" text/plain -H "Authorization: Bearer wrong-token-0123456789")
expect_eq "${r%% *}" 401 "POST with a wrong token"

# text: 202 with {seq, id, dup}; the same content again is a duplicate
r=$(post "$seed" text/plain -H "$AUTH")
expect_eq "${r%% *}" 202 "POST seed"
echo "$r" | grep -q '"seq":1,"id":"[0-9a-f]\{32\}","dup":false' || fail "POST seed body: $r"
id=$(echo "$r" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
r=$(post "$seed" text/plain -H "$AUTH")
expect_eq "${r%% *}" 202 "POST seed again"
echo "$r" | grep -q '"seq":1,.*"dup":true' || fail "resubmit is not a dup of seq 1: $r"

# JSON array with a bad record: the others are taken, the bad one says why
printf '[{"title":"HTTP một","content":"Nội dung một."},{"content":"no title"},{"title":"HTTP ba","content":"Nội dung ba."}]' >"$T/batch.json"
r=$(post "$T/batch.json" "application/json; charset=utf-8" -H "$AUTH")
expect_eq "${r%% *}" 202 "POST JSON batch"
echo "$r" | grep -q '"accepted":2,"rejected":1' || fail "batch counts: $r"
echo "$r" | grep -q '{"error":"record 2: no title.*","code":"invalid"}' || fail "batch record reason: $r"

# a feed: one article per entry, format from the root
r=$(post "$NW_CORPUS/dev/feeds/rss-parser-010-gulp-atom.atom.xml" application/atom+xml -H "$AUTH")
expect_eq "${r%% *}" 202 "POST Atom feed"
echo "$r" | grep -q '"accepted":10,"rejected":0' || fail "feed counts: $r"

# bad input: 400 with the parser's reason, 413 over the limit, 415 for an unknown type
printf '{"title": ' >"$T/bad.json"
r=$(post "$T/bad.json" application/json -H "$AUTH")
expect_eq "${r%% *}" 400 "POST broken JSON"
echo "$r" | grep -q 'invalid JSON' || fail "broken JSON reason: $r"
head -c 600000 /dev/zero | tr '\0' 'a' >"$T/huge.txt"
r=$(post "$T/huge.txt" text/plain -H "$AUTH")
expect_eq "${r%% *}" 413 "POST over the body limit"
head -c 70000 /dev/zero | tr '\0' 'b' >"$T/big.txt"
r=$(post "$T/big.txt" text/plain -H "$AUTH")
expect_eq "${r%% *}" 413 "POST over max_article_bytes"
echo "$r" | grep -q 'max_article_bytes' || fail "oversize reason: $r"
r=$(post "$seed" image/png -H "$AUTH")
expect_eq "${r%% *}" 415 "POST image/png"

# reads: by seq, by id, by range; errors say what exists
curl -s "$U/v1/articles/1" >"$T/a1"
grep -q '"title":"Huyện Lệ Thủy sơ kết' "$T/a1" || fail "GET /v1/articles/1: $(head -c 200 "$T/a1")"
grep -q '"source":"http"' "$T/a1" || fail "source of an HTTP post"
curl -s "$U/v1/articles/$id" | cmp -s - "$T/a1" || fail "GET by id differs from GET by seq"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/articles/999")" 404 "GET unknown seq"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/articles/nope")" 400 "GET bad key"
curl -s "$U/v1/articles?from=2&limit=3" >"$T/list"
expect_eq "$(grep -o '"seq":[0-9]*' "$T/list" | tr '\n' ' ')" '"seq":2 "seq":3 "seq":4 ' "GET range seqs"
grep -q '"next":5,"first":1,"last":13}' "$T/list" || fail "GET range cursor: $(tail -c 80 "$T/list")"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/articles?limit=x")" 400 "GET bad limit"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "$AUTH" "$U/v1/articles/1")" 405 "DELETE"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/v2/nothing")" 404 "unknown route"

# keep-alive: several requests on one connection
curl -sv "$U/v1/articles/1" "$U/v1/articles/2" "$U/healthz" -o /dev/null -o /dev/null -o /dev/null 2>"$T/keep"
grep -q 'Re-using existing connection' "$T/keep" || fail "keep-alive: connection not reused"
# a header over the limit is refused
big=$(head -c 9000 /dev/zero | tr '\0' 'h')
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$U/healthz")" 431 "oversize header"

# the stream: from=1 catches up, then follows live posts; the client
# drops its connection every 7 events and resumes with Last-Event-ID
total=60
python3 "$NW_SOURCE_DIR/tests/integration/helpers/sse_client.py" "$U/v1/stream?from=1" $total 7 60 \
  >"$T/events" 2>"$T/sse.err" &
sse=$!
track $sse
i=1
while [ $i -le 47 ]; do
  printf 'Bài số %d qua HTTP\n\nNội dung của bài số %d, đăng khi luồng đang mở.\n' $i $i >"$T/p.txt"
  r=$(post "$T/p.txt" text/plain -H "$AUTH")
  [ "${r%% *}" = 202 ] || fail "live POST $i: $r"
  i=$((i + 1))
done
wait $sse
expect_eq "$?" 0 "stream client got $total articles"
expect_eq "$(awk '{print $1}' "$T/events" | tr '\n' ' ')" "$(seq 1 $total | tr '\n' ' ')" \
  "stream ids are 1..$total, each once, in order"
awk '$1 != $2 {bad=1} END {exit bad}' "$T/events" || fail "an event id differs from its article's seq"
reconnects=$(sed -n 's/^reconnects //p' "$T/sse.err")
[ "${reconnects:-0}" -ge 8 ] || fail "the client should have resumed at least 8 times, did $reconnects"
grep -q '^retry 2000' "$T/sse.err" || fail "no retry hint on the stream"
echo "stream: $total articles over $((reconnects + 1)) connections"

# without from, a stream starts at the next new article
curl -s -N --max-time 3 "$U/v1/stream" >"$T/live" &
live=$!
wait_until 10 sh -c "curl -s '$U/metrics' | grep -q '^newswire_http_streams 1'" || fail "stream not open"
printf 'Bài mới nhất\n\nChỉ bài này đến luồng mới.\n' >"$T/new.txt"
post "$T/new.txt" text/plain -H "$AUTH" >/dev/null
wait $live
expect_eq "$(grep -c '^id: ' "$T/live")" 1 "a new stream gets only new articles"
grep -q '^id: 61$' "$T/live" || fail "new stream event id: $(cat "$T/live")"

curl -s "$U/metrics" >"$T/metrics"
grep -q '^newswire_http_unauthorized_total 2$' "$T/metrics" || fail "unauthorized counter"
grep -q '^newswire_articles_ingested_total 61$' "$T/metrics" || fail "ingested counter: $(grep ingested "$T/metrics")"

# shutdown with a stream open: exit 0, promptly
curl -s -N "$U/v1/stream?from=1" >/dev/null &
track $!
wait_until 10 sh -c "curl -s '$U/metrics' | grep -q '^newswire_http_streams 1'" || fail "stream not open before stop"
kill -TERM "$pid"; wait "$pid"
expect_eq "$?" 0 "ingestd exit code with a stream open"

# reads closed (the default with a token): GETs need it, /healthz does not;
# the indexer's search likewise
sed -i '/^http_reads/d' "$T/newswire.conf"
IDX=$(free_port)
printf '[indexer]\ndb = %s\nquery = ipc://%s/run/query.ipc\nhttp = 127.0.0.1:%s\n' "$T/index.db" "$T" "$IDX" >>"$T/newswire.conf"
start
wait_until 10 up || fail "ingestd did not restart"
"$NW_BUILD_DIR/services/indexer/newswire-indexer" -c "$T/newswire.conf" 2>"$T/indexer.log" & ipid=$!; track $ipid
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
expect_eq "$(code "$U/v1/articles/1")" 401 "GET without a token, reads closed"
grep -q 'http_reads = open' "$T/body" || fail "401 body does not say how to open reads: $(cat "$T/body")"
expect_eq "$(code "$U/v1/stream?from=1")" 401 "stream without a token, reads closed"
expect_eq "$(code -H "$AUTH" "$U/v1/articles/1")" 200 "GET with the token"
expect_eq "$(code "$U/healthz")" 200 "/healthz stays open"
wait_until 10 sh -c "curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:$IDX/v1/search?q=x' | grep -q 401" \
  || fail "search without a token, reads closed: $(code "http://127.0.0.1:$IDX/v1/search?q=x")"
expect_eq "$(code -H "$AUTH" "http://127.0.0.1:$IDX/v1/search?q=l%C3%AA")" 200 "search with the token"
expect_eq "$(code -H "Authorization: Bearer wrong-token-0123456789" "http://127.0.0.1:$IDX/v1/search?q=x")" 401 "search with a wrong token"
kill -TERM $ipid; wait $ipid
expect_eq "$?" 0 "indexer exit"
kill -TERM "$pid"; wait "$pid"

# a token file that is too short stops the daemon at start
printf 'short\n' >"$T/token"
"$D" -c "$T/newswire.conf" 2>"$T/start.err"
expect_eq "$?" 1 "exit code with a short token"
grep -q 'shorter than 16' "$T/start.err" || fail "short token message: $(cat "$T/start.err")"
finish
