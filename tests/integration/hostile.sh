#!/bin/sh
# Hostile clients against ingestd and the indexer on tcp:// endpoints,
# all at once: slowloris HTTP connections, thousands of idle ZeroMQ
# connections, silent TCP connections, frames that claim 2^40 bytes, and
# random bytes on every port. Meanwhile a normal client submits, tails,
# reads over HTTP and searches, and gets every answer; the slow HTTP
# connections are cut with 408 after the header deadline, silent TCP ones
# after the ZMTP handshake deadline; both daemons stop cleanly after it.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
H="$NW_SOURCE_DIR/tests/integration/helpers/hostile.py"
P=$(free_port); S=$(free_port); R=$(free_port); Q=$(free_port)
HP=$(free_port); MP=$(free_port); IH=$(free_port); IM=$(free_port)
write_conf "http = 127.0.0.1:$HP" "metrics = 127.0.0.1:$MP"
sed -i "s|^publish = .*|publish = tcp://127.0.0.1:$P|; s|^submit = .*|submit = tcp://127.0.0.1:$S|; s|^replay = .*|replay = tcp://127.0.0.1:$R|" "$T/newswire.conf"
printf '[indexer]\ndb = %s\nquery = tcp://127.0.0.1:%s\nhttp = 127.0.0.1:%s\nmetrics = 127.0.0.1:%s\n' \
  "$T/index.db" "$Q" "$IH" "$IM" >>"$T/newswire.conf"
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
"$D" -c "$T/newswire.conf" 2>"$T/ingestd.log" & ingestd_pid=$!; track $ingestd_pid
wait_until 20 curl -sf "http://127.0.0.1:$MP/healthz" || { cat "$T/ingestd.log" >&2; fail "ingestd did not start"; finish; }
start_svc indexer
wait_until 20 curl -sf "http://127.0.0.1:$IM/healthz" || { cat "$T/indexer.log" >&2; fail "indexer did not start"; finish; }

# the attack, in the background
N_IDLE=${NW_HOSTILE_IDLE:-2000}
python3 "$H" idle 127.0.0.1 "$S" $((N_IDLE / 2)) 40 DEALER >"$T/idle_submit" 2>&1 & track $!; a1=$!
python3 "$H" idle 127.0.0.1 "$P" $((N_IDLE / 4)) 40 SUB >"$T/idle_publish" 2>&1 & track $!; a2=$!
python3 "$H" idle 127.0.0.1 "$Q" $((N_IDLE / 4)) 40 DEALER >"$T/idle_query" 2>&1 & track $!; a3=$!
python3 "$H" slowloris 127.0.0.1 "$HP" 200 16 >"$T/slowloris" 2>&1 & track $!; a4=$!
python3 "$H" silent 127.0.0.1 "$R" 100 16 >"$T/silent" 2>&1 & track $!; a5=$!
i=0
for port in $P $S $R $Q $HP $MP $IH $IM; do
  python3 "$H" garbage 127.0.0.1 "$port" 150 $i >"$T/garbage.$port" 2>&1 & track $!
  eval "g$i=\$!"
  i=$((i + 1))
done
for port in $S $R $Q; do
  for k in 1 2 3; do python3 "$H" oversize 127.0.0.1 "$port" DEALER; done
done >"$T/oversize" 2>&1
expect_eq "$(grep -c '^closed$' "$T/oversize")" 9 "connections sending a 2^40-byte frame are dropped"
wait_until 30 grep -q 'idle opened' "$T/idle_submit" || fail "idle connections not opened: $(cat "$T/idle_submit")"
zmetric() { curl -s "http://127.0.0.1:$MP/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
idle_n=$(sed -n 's/idle opened //p' "$T/idle_submit")
zconn_ok() { [ "$(zmetric 'newswire_zmq_connections{socket="submit"}')" -ge "$idle_n" ]; }
wait_until 20 zconn_ok \
  || fail "idle connections not shown: $(zmetric 'newswire_zmq_connections{socket="submit"}') of $idle_n"

# a normal client meanwhile
nw submit "$NW_CORPUS/dev/text" >"$T/acks" 2>"$T/submit.err"
expect_eq "$?" 0 "submit during the attack"
n=$(grep -c '^[0-9]' "$T/acks")
[ "$n" -ge 20 ] || fail "too few articles acked: $n ($(head -3 "$T/submit.err"))"
timeout 60 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count "$n" >"$T/tail"
expect_eq "$(grep -c '"seq"' "$T/tail")" "$n" "tail during the attack"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/v1/articles/1")" 200 "HTTP read during the attack"
wait_until 60 sh -c "'$NW_BIN' -c '$T/newswire.conf' search --json 'le thuy' | grep -q '\"seq\"'" \
  || fail "search during the attack"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$IH/v1/search?q=le+thuy")" 200 "HTTP search during the attack"

for v in a4 a5 g0 g1 g2 g3 g4 g5 g6 g7; do eval "wait \$$v"; done
cat "$T/slowloris" "$T/silent"
grep -q 'slowloris connections 200 closed 200 got408 200' "$T/slowloris" || fail "slow HTTP connections not all cut with 408: $(cat "$T/slowloris")"
last=$(sed -n 's/.* last \([0-9]*\).*/\1/p' "$T/slowloris")
[ "${last:-99}" -le 13 ] || fail "slow HTTP connections held for $last s (deadline 10 s)"
grep -q 'silent connections 100 closed 100' "$T/silent" || fail "silent TCP connections not all cut: $(cat "$T/silent")"
curl -s "http://127.0.0.1:$MP/metrics" >"$T/m"
grep -q '^newswire_http_request_timeouts_total{server="api"} 200$' "$T/m" || fail "timeouts not counted: $(grep timeouts "$T/m")"
hs=$(awk '$1 == "newswire_zmq_handshake_failures_total{socket=\"replay\"}" { print $2 }' "$T/m")
[ "${hs:-0}" -ge 100 ] || fail "silent connections not counted as failed handshakes: $hs"
dc=$(awk '$1 == "newswire_zmq_disconnects_total{socket=\"submit\"}" { print $2 }' "$T/m")
[ "${dc:-0}" -ge 3 ] || fail "oversized-frame disconnects not counted: $dc"
for f in "$T"/garbage.*; do grep -q 'garbage rounds 150 sent 150' "$f" || fail "garbage run: $(cat "$f")"; done
# after the attack: still serving, then a clean stop
printf 'Bài sau cuộc tấn công\n\nHệ thống vẫn phục vụ bình thường.\n' >"$T/after.txt"
expect_eq "$(nw submit "$T/after.txt" | awk '{print $1}')" $((n + 1)) "submit after the attack"
for v in a1 a2 a3; do eval "wait \$$v"; done
cat "$T/idle_submit" "$T/idle_publish" "$T/idle_query"
stop_svc indexer
stop_svc ingestd
finish
