#!/bin/sh
# CURVE on every tcp:// endpoint (ingestd submit, publish, replay; the
# indexer's queries): newswire keygen, a listed client key works on each;
# no key, a wrong server key and an unlisted key are refused on each, the
# unlisted one logged with its key and counted; removing a key and
# sending SIGHUP locks that client out.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
mkdir -p "$T/keys"
for k in server client other rogue svc; do
  "$NW_BIN" keygen "$T/keys/$k" >/dev/null || fail "keygen $k"
done
expect_eq "$(stat -c %a "$T/keys/server.key")" 600 "secret key file mode"
expect_eq "$(wc -c <"$T/keys/server.pub")" 41 "public key file: 40 Z85 characters and a newline"
"$NW_BIN" keygen "$T/keys/server" >/dev/null 2>"$T/again"
expect_eq "$?" 1 "keygen refuses to overwrite"
grep -q 'never overwritten' "$T/again" || fail "overwrite message: $(cat "$T/again")"
{ echo "# clients allowed in: the services, then two users"; cat "$T/keys/svc.pub"; cat "$T/keys/client.pub"; cat "$T/keys/other.pub"; } >"$T/authorized"

P=$(free_port); S=$(free_port); R=$(free_port); Q=$(free_port); MP=$(free_port); IMP=$(free_port)
write_conf "metrics = 127.0.0.1:$MP"
sed -i "s|^publish = .*|publish = tcp://127.0.0.1:$P|; s|^submit = .*|submit = tcp://127.0.0.1:$S|; s|^replay = .*|replay = tcp://127.0.0.1:$R|" "$T/newswire.conf"
cat >>"$T/newswire.conf" <<EOF
[indexer]
db = $T/index.db
query = tcp://127.0.0.1:$Q
metrics = 127.0.0.1:$IMP
[security]
curve_secret_file = $T/keys/server.key
curve_public_file = $T/keys/server.pub
authorized_keys = $T/authorized
[client]
curve_secret_file = $T/keys/svc.key
curve_public_file = $T/keys/svc.pub
server_public_file = $T/keys/server.pub
EOF
# the CLI with no key at all
NOKEY="--set client.curve_secret_file= --set client.curve_public_file= --set client.server_public_file="
as() {  # as NAME [SERVER_PUB] -- newswire args: the CLI with NAME's keys
  name=$1; server=${2:-$T/keys/server.pub}; shift 2
  "$NW_BIN" -c "$T/newswire.conf" --set client.curve_secret_file="$T/keys/$name.key" \
    --set client.curve_public_file="$T/keys/$name.pub" --set client.server_public_file="$server" "$@"
}
start_svc ingestd
start_svc indexer
up() { curl -sf "http://127.0.0.1:$MP/healthz" >/dev/null && curl -sf "http://127.0.0.1:$IMP/healthz" >/dev/null; }
wait_until 10 up || fail "daemons did not start"

# a listed key works on submit, publish + replay (tail) and queries
as client "" submit "$NW_CORPUS/seed/seed.txt" >"$T/ok" 2>&1
expect_eq "$?" 0 "submit with a listed key"
timeout 20 "$NW_BIN" -c "$T/newswire.conf" --set client.curve_secret_file="$T/keys/client.key" \
  --set client.curve_public_file="$T/keys/client.pub" --set client.server_public_file="$T/keys/server.pub" \
  tail --from 1 --count 1 >"$T/tail"
grep -q '"seq":1' "$T/tail" || fail "tail with a listed key: $(head -c 200 "$T/tail")"
indexed() { as client "" search --json "le thuy" 2>/dev/null | grep -q '"seq":1'; }
wait_until 20 indexed || fail "search with a listed key"

# refused: no key, a wrong server key, an unlisted key (each on every endpoint)
"$NW_BIN" -c "$T/newswire.conf" $NOKEY submit --timeout 1000 "$NW_CORPUS/seed/seed.txt" >/dev/null 2>&1 \
  && fail "submit without a key got in"
as client "$T/keys/other.pub" submit --timeout 1000 "$NW_CORPUS/seed/seed.txt" >/dev/null 2>&1 \
  && fail "submit expecting the wrong server key got in"
as rogue "" submit --timeout 1000 "$NW_CORPUS/seed/seed.txt" >/dev/null 2>&1 \
  && fail "submit with an unlisted key got in"
timeout 8 "$NW_BIN" -c "$T/newswire.conf" $NOKEY tail --from 1 --count 1 >"$T/tail0" 2>/dev/null
expect_eq "$(wc -c <"$T/tail0")" 0 "tail without a key receives nothing"
timeout 8 "$NW_BIN" -c "$T/newswire.conf" --set client.curve_secret_file="$T/keys/rogue.key" \
  --set client.curve_public_file="$T/keys/rogue.pub" --set client.server_public_file="$T/keys/server.pub" \
  tail --from 1 --count 1 >"$T/tail1" 2>/dev/null
expect_eq "$(wc -c <"$T/tail1")" 0 "tail with an unlisted key receives nothing"
timeout 10 "$NW_BIN" -c "$T/newswire.conf" $NOKEY search "le thuy" >/dev/null 2>&1 && fail "search without a key got in"
timeout 10 "$NW_BIN" -c "$T/newswire.conf" --set client.curve_secret_file="$T/keys/rogue.key" \
  --set client.curve_public_file="$T/keys/rogue.pub" --set client.server_public_file="$T/keys/server.pub" \
  search "le thuy" >/dev/null 2>&1 && fail "search with an unlisted key got in"
rogue=$(cut -c1-40 "$T/keys/rogue.pub")
grep 'connection refused: key not in authorized_keys' "$T/ingestd.log" | grep -qF "$rogue" \
  || fail "ingestd did not log the refused key"
grep 'connection refused: key not in authorized_keys' "$T/indexer.log" | grep -qF "$rogue" \
  || fail "the indexer did not log the refused key"
refused=$(curl -s "http://127.0.0.1:$MP/metrics" | sed -n 's/^newswire_curve_refused_total //p')
[ "${refused:-0}" -ge 1 ] || fail "refusals not counted: $refused"

# a key removed from authorized_keys + SIGHUP: locked out; the other key still works
{ cat "$T/keys/svc.pub"; cat "$T/keys/other.pub"; } >"$T/authorized"
kill -HUP "$ingestd_pid"
wait_until 10 grep -q 'authorized_keys reloaded' "$T/ingestd.log" || fail "no reload"
as client "" submit --timeout 1000 "$NW_CORPUS/dev/text/$(ls "$NW_CORPUS/dev/text" | head -1)" >/dev/null 2>&1 \
  && fail "a removed key still gets in after SIGHUP"
as other "" submit "$NW_CORPUS/dev/text/$(ls "$NW_CORPUS/dev/text" | head -1)" >"$T/ok2" 2>&1
expect_eq "$?" 0 "submit with the key still listed"
stop_svc indexer
stop_svc ingestd

# keys without authorized_keys stop the daemon at start
sed -i '/^authorized_keys/d' "$T/newswire.conf"
"$D" -c "$T/newswire.conf" 2>"$T/start.err"
expect_eq "$?" 1 "exit code with keys but no authorized_keys"
grep -q 'authorized_keys is not' "$T/start.err" || fail "message: $(cat "$T/start.err")"
finish
