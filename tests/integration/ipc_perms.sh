#!/bin/sh
# ipc:// endpoints are the service user's alone: missing directories are
# created mode 0700, every socket file is mode 0600, another user cannot
# connect (even through a directory open to all, which is logged as a
# warning), and the service's own user can.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: switching to another user needs root"; exit 77; }
chmod 711 "$T"   # others may pass through, not list
mkdir -p "$T/open" && chmod 1777 "$T/open"
MP=$(free_port)
write_conf "metrics = 127.0.0.1:$MP"
sed -i "s|^publish = .*|publish = ipc://$T/open/publish.ipc|; s|^submit = .*|submit = ipc://$T/priv/deep/submit.ipc|; s|^replay = .*|replay = ipc://$T/priv/deep/replay.ipc|" "$T/newswire.conf"
"$D" -c "$T/newswire.conf" 2>"$T/ingestd.log" & pid=$!; track $pid
wait_until 10 curl -sf "http://127.0.0.1:$MP/healthz" || fail "ingestd did not start"

expect_eq "$(stat -c %a "$T/priv")" 700 "mode of a created ipc directory"
expect_eq "$(stat -c %a "$T/priv/deep")" 700 "mode of a created nested ipc directory"
for s in open/publish.ipc priv/deep/submit.ipc priv/deep/replay.ipc; do
  expect_eq "$(stat -c %a "$T/$s")" 600 "mode of $s"
done
grep -q 'writable by other users' "$T/ingestd.log" || fail "no warning about the open directory"

# another user cannot connect to any of them
for s in open/publish.ipc priv/deep/submit.ipc; do
  setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(3)
sys.exit(0)' "$T/$s"
  expect_eq "$?" 3 "another user connecting to $s"
done

# the service's user can
"$NW_BIN" -c "$T/newswire.conf" submit "$NW_CORPUS/seed/seed.txt" >"$T/ack"
expect_eq "$?" 0 "submit over ipc as the service's user"
kill -TERM $pid; wait $pid
expect_eq "$?" 0 "ingestd exit"
finish
