#!/bin/sh
# The whole stack on ephemeral endpoints: ingestd, archiver, indexer and
# notifier; the dev corpus goes in; the archive holds every article once,
# every search of SPEC 5 finds the seed, rules fire exactly once per
# matching article into file, exec and a signature-checking webhook
# receiver; failing receivers end in the dead letters, with reasons.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
RECV="$NW_SOURCE_DIR/tests/integration/helpers/webhook_receiver.py"
python3 "$RECV" "$T/port.ok" "$T/hooks.log" "$SECRET" & track $!
python3 "$RECV" "$T/port.500" "$T/hooks500.log" "$SECRET" --status 500 & track $!
python3 "$RECV" "$T/port.404" "$T/hooks404.log" "$SECRET" --status 404 & track $!
wait_until 10 test -s "$T/port.ok" -a -s "$T/port.500" -a -s "$T/port.404" || fail "receivers did not start"

# an exec target: reads the article on stdin, notes rule, seq, id, title
printf '%s\n' '#!/bin/sh' \
  "title=\$(sed 's/.*\"title\":\"\\([^\"]*\\)\".*/\\1/')" \
  "echo \"\$NEWSWIRE_RULE \$NEWSWIRE_SEQ \$NEWSWIRE_DELIVERY_ID \$title\" >>$T/exec.log" >"$T/alert.sh"
chmod +x "$T/alert.sh"

LATE_PORT=$(free_port)   # nobody listens there until later
RULE_QB='place:"Lệ Thủy" AND (ANTQ OR "an ninh")'
RULE_FB='"bóng đá" OR "V-League"'
{
  echo "[rule quang-binh]"
  echo "match = $RULE_QB"
  echo "notify = webhook http://127.0.0.1:$(cat "$T/port.ok")/hook"
  echo "notify = exec $T/alert.sh --quiet"
  echo "notify = file $T/alerts/qb.jsonl"
  echo "secret = $SECRET"
  echo
  echo "[rule football]"
  echo "match = $RULE_FB"
  echo "notify = file $T/alerts/football.jsonl"
  echo "notify = webhook http://127.0.0.1:$(cat "$T/port.ok")/football"
  echo "secret = $SECRET"
  echo
  echo "[rule always-500]"
  echo "match = title:\"Lệ Thủy\""
  echo "notify = webhook http://127.0.0.1:$(cat "$T/port.500")/hook"
  echo "secret = $SECRET"
  echo
  echo "[rule receiver-down]"
  echo "match = title:\"máy chủ trở lại\""
  echo "notify = webhook http://127.0.0.1:$LATE_PORT/hook"
  echo "secret = $SECRET"
  echo
  echo "[rule always-404]"
  echo "match = title:\"Lệ Thủy\""
  echo "notify = webhook http://127.0.0.1:$(cat "$T/port.404")/hook"
  echo "secret = $SECRET"
} >"$T/rules.conf"
write_conf
write_stack_conf "rules = $T/rules.conf" "max_attempts = 4" "retry_base = 1s" \
  "metrics = 127.0.0.1:$(free_port)"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }

# a bad rules file stops the notifier at start with file:line:col
printf '[rule x]\nmatch = ANTQ AND (\nnotify = file %s/x\n' "$T" >"$T/bad.rules"
"$SVC_DIR/notifier/newswire-notifier" -c "$T/newswire.conf" --set "notifier.rules=$T/bad.rules" \
  2>"$T/bad.err"
expect_eq "$?" 2 "notifier exit code with a bad rules file"
grep -q "bad.rules:2:19: " "$T/bad.err" || fail "no file:line:col in: $(cat "$T/bad.err")"

for s in ingestd archiver indexer notifier; do start_svc $s; done
nw submit "$NW_CORPUS/seed/seed.txt" "$NW_CORPUS/dev/text" "$NW_CORPUS/dev/json" >"$T/acks" 2>&1 ||
  fail "submit: $(tail -3 "$T/acks")"
n=$(grep -vc '^dup ' "$T/acks")
seed=$(grep 'seed/seed.txt$' "$T/acks" | awk '{print ($1 == "dup") ? $2 : $1}')
echo "journaled $n articles; the seed is seq $seed"

# --- archive: every article once ---
archived() { [ "$(nw export | wc -l)" -eq "$n" ]; }
wait_until 60 archived || fail "archive holds $(nw export | wc -l) of $n"
nw export | sed 's/.*"seq":\([0-9]*\),.*/\1/' | sort -n >"$T/archived.seqs"
seq 1 "$n" | cmp -s - "$T/archived.seqs" || fail "archived seqs are not 1..$n once each"
nw get "$seed" | grep -q '"title":"Huyện Lệ Thủy' || fail "get $seed: $(nw get "$seed" | head -c 200)"
id=$(grep 'seed/seed.txt$' "$T/acks" | awk '{print ($1 == "dup") ? $3 : $2}')
expect_eq "$(nw get "$id" | sed 's/.*"seq":\([0-9]*\),.*/\1/')" "$seed" "get by id"
nw get 999999 >/dev/null 2>&1; expect_eq "$?" 1 "get of a missing seq"
nw get nonsense >/dev/null 2>&1; expect_eq "$?" 2 "get of a malformed key"
expect_eq "$(nw export --from 2 --to 11 | wc -l)" 10 "export of a seq range"
nw export --ninjs --from "$seed" --to "$seed" | grep -q '"headlines":\[{"role":"main","value":"Huyện Lệ Thủy' ||
  fail "ninjs export of the seed"
[ "$(nw export --since 2018-08-07 --until 2018-08-07 | grep -c '"id"')" -ge 1 ] ||
  fail "export --since/--until 2018-08-07 found nothing"

# --- search: every spelling of SPEC 5 finds the seed ---
indexed() { nw search --json --limit 1 'le thuy' | grep -q '"seq"'; }
wait_until 60 indexed || fail "the index never answered"
for q in 'le thuy' 'Lệ Thủy' 'LỆ THỦY' "$(printf 'Le\314\243\314\202 Thu\314\211y')" \
         'dong chi' 'đồng chí' '"Lệ Thủy"' 'place:"le thuy" AND antq'; do
  nw search --json --limit 50 "$q" >"$T/hits" || fail "search '$q' failed"
  grep -q "\"seq\":$seed," "$T/hits" || fail "search '$q' does not find the seed"
done
# phrase order counts; bad queries get an error with the column
nw search --json --limit 1000 '"thuy le"' | grep -q "\"seq\":$seed," && fail "phrase \"thuy le\" matched the seed"
nw search 'ANTQ AND (' 2>"$T/err"; expect_eq "$?" 1 "exit code of a malformed search"
grep -q 'column 11' "$T/err" || fail "malformed search message: $(cat "$T/err")"
nw search '' 2>/dev/null; expect_eq "$?" 2 "exit code of an empty search"
# over HTTP
curl -s "http://127.0.0.1:$IDX_HTTP/v1/search?q=l%E1%BB%87+th%E1%BB%A7y&limit=5" >"$T/http.json"
grep -q '"ok":true' "$T/http.json" && grep -q "\"seq\":$seed," "$T/http.json" ||
  fail "HTTP search: $(head -c 300 "$T/http.json")"
code=$(curl -s -o "$T/http.err" -w '%{http_code}' "http://127.0.0.1:$IDX_HTTP/v1/search?q=%28")
expect_eq "$code" 400 "HTTP status of a malformed query"
grep -q '"code":"syntax"' "$T/http.err" || fail "HTTP error body: $(cat "$T/http.err")"

# --- notifications: once per matching article, through every target ---
# the matching articles, counted by a subscriber with the same expressions
qb=$(nw tail --from 1 --to "$n" --filter "$RULE_QB" | wc -l)
fb=$(nw tail --from 1 --to "$n" --filter "$RULE_FB" | wc -l)
echo "articles matching: quang-binh $qb, football $fb"
[ "$qb" -ge 1 ] || fail "no article matches the quang-binh rule"
[ "$fb" -ge 5 ] || fail "only $fb articles match the football rule"
lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
hook_lines() { [ "$(grep -c "^ok msg_[0-9]*_$1_" "$T/hooks.log" 2>/dev/null)" -ge "$2" ]; }
wait_until 60 lines "$T/alerts/qb.jsonl" "$qb" || fail "qb file target"
wait_until 60 lines "$T/alerts/football.jsonl" "$fb" || fail "football file target"
wait_until 60 lines "$T/exec.log" "$qb" || fail "exec target"
wait_until 60 hook_lines quang-binh "$qb" || fail "quang-binh webhooks"
wait_until 60 hook_lines football "$fb" || fail "football webhooks"
expect_eq "$(wc -l <"$T/alerts/qb.jsonl")" "$qb" "qb file lines (once per match)"
expect_eq "$(wc -l <"$T/alerts/football.jsonl")" "$fb" "football file lines"
expect_eq "$(wc -l <"$T/exec.log")" "$qb" "exec runs"
expect_eq "$(grep -c '^ok ' "$T/hooks.log")" "$((qb + fb))" "webhooks received with a good signature"
expect_eq "$(grep -c '^bad ' "$T/hooks.log")" 0 "webhooks with a bad signature"
grep -q "^quang-binh $seed msg_${seed}_quang-binh_1 Huyện Lệ Thủy" "$T/exec.log" ||
  fail "exec did not get the seed on stdin: $(head -2 "$T/exec.log")"

# --- a receiver that is down at first: the first attempt fails, the
# retry after the backoff reaches it once it is up ---
printf 'Tin về máy chủ trở lại\n\nMột bài để thử người nhận webhook chưa chạy.\n' >"$T/late.txt"
late=$(nw submit "$T/late.txt" | awk '{print $1}')
first_failed() { grep -q 'delivery failed.*rule=receiver-down' "$T/notifier.log"; }
wait_until 30 first_failed || fail "no failed attempt at the receiver that is down"
python3 "$RECV" "$T/port.late" "$T/hooks_late.log" "$SECRET" --port "$LATE_PORT" & track $!
arrived() { grep -q "^ok msg_${late}_receiver-down_0 receiver-down $late" "$T/hooks_late.log" 2>/dev/null; }
wait_until 30 arrived || fail "the delivery never reached the receiver once it was up"

# --- dead letters: 500 four times (max_attempts = 4), 404 at once ---
dead() { [ "$(nw dlq list 2>/dev/null | wc -l)" -ge 2 ]; }
wait_until 60 dead || fail "dead letters: $(nw dlq list 2>&1)"
nw dlq list >"$T/dlq"
grep '"rule":"always-500"' "$T/dlq" | grep -q '"attempts":4,"error":"HTTP 500"' || fail "500 dead letter: $(cat "$T/dlq")"
grep '"rule":"always-404"' "$T/dlq" | grep -q '"attempts":1,"error":"HTTP 404"' || fail "404 dead letter: $(cat "$T/dlq")"
expect_eq "$(grep -c "^status msg_${seed}_always-500_0 500" "$T/hooks500.log")" 4 "attempts at the 500 receiver"
expect_eq "$(grep -c "^status msg_${seed}_always-404_0 404" "$T/hooks404.log")" 1 "attempts at the 404 receiver"
# retry: queued again, tried again
nw dlq retry --all >"$T/retry" || fail "dlq retry"
grep -q '^2 dead letters queued again' "$T/retry" || fail "dlq retry said: $(cat "$T/retry")"
more_404() { [ "$(grep -c . "$T/hooks404.log")" -ge 2 ]; }
wait_until 30 more_404 || fail "retried dead letter not attempted again"
nw dlq retry msg_0_nothing_0 >/dev/null 2>&1; expect_eq "$?" 1 "dlq retry of an unknown id"

# --- SIGHUP reloads the rules; a broken file is refused and the old rules stay ---
cp "$T/rules.conf" "$T/rules.good"
printf '\n[rule reloaded]\nmatch = "sau khi nạp lại"\nnotify = file %s/alerts/reloaded.jsonl\n' "$T" >>"$T/rules.conf"
kill -HUP "$notifier_pid"
reloaded() { grep -q 'msg="rules reloaded" rules=6' "$T/notifier.log"; }
wait_until 10 reloaded || fail "no reload after SIGHUP: $(grep -i reload "$T/notifier.log" | tail -2)"
printf 'Tin sau khi nạp lại\n\nBài thử quy tắc mới.\n' >"$T/reload.txt"
nw submit "$T/reload.txt" >/dev/null || fail "submit after the reload"
wait_until 30 lines "$T/alerts/reloaded.jsonl" 1 || fail "the reloaded rule did not fire"
printf '[rule broken]\nmatch = (\n' >"$T/rules.conf"
kill -HUP "$notifier_pid"
refused() { grep -q 'rules not reloaded; the old rules stay in force' "$T/notifier.log"; }
wait_until 10 refused || fail "a broken rules file was not refused on SIGHUP"
cp "$T/rules.good" "$T/rules.conf"

# stats reads every service's metrics endpoint
nw stats >"$T/stats" 2>&1 || fail "newswire stats: $(cat "$T/stats")"
grep -q "newswire_notifier_delivered_total" "$T/stats" || fail "stats without the notifier: $(head -5 "$T/stats")"

for s in ingestd archiver indexer notifier; do stop_svc $s; done
# no errors but the refused reload above
grep -h 'level=error' "$T/archiver.log" "$T/indexer.log" "$T/notifier.log" |
  grep -v 'rules not reloaded' | grep -q . &&
  fail "errors logged: $(grep -h 'level=error' "$T"/*.log | grep -v 'rules not reloaded' | head -3)"
finish
