#!/bin/sh
# A packet capture on loopback (tshark) of ingestd's and the indexer's
# tcp:// endpoints while an article is submitted, tailed and searched: with
# CURVE on, no article text crosses the wire in clear; the same run without
# CURVE shows the text, so the capture does see the traffic. Skipped (77)
# where tshark is missing or cannot capture.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
tshark -i lo -a duration:1 -w "$T/probe.pcap" >/dev/null 2>&1 || { echo "SKIP: tshark cannot capture on lo"; exit 77; }
mkdir -p "$T/keys"
for k in server client; do "$NW_BIN" keygen "$T/keys/$k" >/dev/null || fail "keygen $k"; done
cat "$T/keys/client.pub" >"$T/authorized"
# the text that must not show: from the seed's title and body
needle1="Lệ Thủy"
needle2="sơ kết"

# run NAME CURVE(yes|no): the daemons on fresh ports and data, a capture
# around submit + tail + search; prints how often each needle shows
run() {
  name=$1; curve=$2
  P=$(free_port); S=$(free_port); R=$(free_port); Q=$(free_port); MP=$(free_port); IMP=$(free_port)
  rm -rf "$T/journal" "$T/index.db"*
  write_conf "metrics = 127.0.0.1:$MP"
  sed -i "s|^publish = .*|publish = tcp://127.0.0.1:$P|; s|^submit = .*|submit = tcp://127.0.0.1:$S|; s|^replay = .*|replay = tcp://127.0.0.1:$R|" "$T/newswire.conf"
  printf '[indexer]\ndb = %s\nquery = tcp://127.0.0.1:%s\nmetrics = 127.0.0.1:%s\n' "$T/index.db" "$Q" "$IMP" >>"$T/newswire.conf"
  if [ "$curve" = yes ]; then
    printf '[security]\ncurve_secret_file = %s\ncurve_public_file = %s\nauthorized_keys = %s\n' \
      "$T/keys/server.key" "$T/keys/server.pub" "$T/authorized" >>"$T/newswire.conf"
    printf '[client]\ncurve_secret_file = %s\ncurve_public_file = %s\nserver_public_file = %s\n' \
      "$T/keys/client.key" "$T/keys/client.pub" "$T/keys/server.pub" >>"$T/newswire.conf"
  fi
  tshark -i lo -f "tcp port $P or tcp port $S or tcp port $R or tcp port $Q" -w "$T/$name.pcap" \
    >/dev/null 2>"$T/$name.tshark" & cap=$!
  wait_until 20 grep -q 'Capturing on' "$T/$name.tshark" || fail "$name: tshark did not start: $(cat "$T/$name.tshark")"
  start_svc ingestd
  start_svc indexer
  wait_until 10 sh -c "curl -sf http://127.0.0.1:$MP/healthz && curl -sf http://127.0.0.1:$IMP/healthz" >/dev/null \
    || fail "$name: daemons did not start"
  "$NW_BIN" -c "$T/newswire.conf" submit "$NW_CORPUS/seed/seed.txt" >/dev/null || fail "$name: submit"
  timeout 20 "$NW_BIN" -c "$T/newswire.conf" tail --from 1 --count 1 >"$T/$name.tail" || fail "$name: tail"
  grep -q "$needle1" "$T/$name.tail" || fail "$name: the tailed article lacks its text"
  wait_until 20 sh -c "'$NW_BIN' -c '$T/newswire.conf' search --json 'le thuy' | grep -q '\"seq\":1'" \
    || fail "$name: search"
  stop_svc indexer
  stop_svc ingestd
  kill -INT $cap; wait $cap
  packets=$(tshark -r "$T/$name.pcap" 2>/dev/null | wc -l)
  n1=$(grep -a -c -F "$needle1" "$T/$name.pcap")
  n2=$(grep -a -c -F "$needle2" "$T/$name.pcap")
  echo "$name: $packets packets captured; '$needle1' in $n1 lines, '$needle2' in $n2 lines"
  [ "$packets" -ge 20 ] || fail "$name: too few packets captured: $packets"
}
run plain no
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || fail "without CURVE the capture should show the article text"
run curve yes
expect_eq "$n1" 0 "'$needle1' in the capture with CURVE on"
expect_eq "$n2" 0 "'$needle2' in the capture with CURVE on"
finish
