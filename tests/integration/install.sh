#!/bin/sh
# cmake --install into a scratch root: binaries, library, headers, the
# configuration (an edited newswire.conf survives a reinstall), man pages
# made from --help, systemd units that `systemd-analyze verify` accepts
# without a warning (and a broken copy that it does not), and sd_notify
# readiness: a daemon started with NOTIFY_SOCKET says READY=1 once it
# serves and STOPPING=1 when told to stop.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
root="$T/root"
DESTDIR="$root" cmake --install "$NW_BUILD_DIR" >"$T/install.log" 2>&1
expect_eq "$?" 0 "cmake --install"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$NW_BUILD_DIR/CMakeCache.txt")
R="$root$prefix"
etc=$(dirname "$(find "$root" -name newswire.conf.sample | head -1)")

for f in bin/newswire bin/newswire-ingestd bin/newswire-archiver bin/newswire-indexer \
         bin/newswire-notifier lib/libnewswire.so.0 include/newswire/client.h \
         lib/pkgconfig/newswire.pc lib/systemd/system/newswire.target \
         lib/systemd/system/newswire-ingestd.service lib/sysusers.d/newswire.conf; do
  [ -e "$R/$f" ] || fail "not installed: $f"
done
[ -f "$etc/newswire.conf" ] || fail "no newswire.conf installed beside the sample"
cmp -s "$etc/newswire.conf" "$NW_SOURCE_DIR/deploy/newswire.conf.sample" || fail "newswire.conf is not the sample"

# an edited configuration is kept by a second install
echo "# edited by the operator" >>"$etc/newswire.conf"
DESTDIR="$root" cmake --install "$NW_BUILD_DIR" >"$T/install2.log" 2>&1
grep -q 'edited by the operator' "$etc/newswire.conf" || fail "reinstall overwrote newswire.conf"
grep -q 'Keeping: ' "$T/install2.log" || fail "reinstall did not say it kept newswire.conf"

# man pages: one per program, rendering the --help text
for p in newswire newswire-ingestd newswire-archiver newswire-indexer newswire-notifier; do
  page="$R/share/man/man1/$p.1"
  [ -f "$page" ] || { fail "no man page $p.1"; continue; }
  MANWIDTH=200 man -l "$page" 2>/dev/null >"$T/$p.txt"
  grep -q "usage: $p" "$T/$p.txt" || fail "man page $p.1 does not hold the --help text"
done
grep -q 'HTTP API' "$T/newswire-ingestd.txt" || fail "ingestd man page misses its description"

# systemd units: verified with the installed paths (moved under the scratch root)
mkdir -p "$T/units"
for u in "$R"/lib/systemd/system/*; do
  sed "s|$prefix/|$R/|g" "$u" >"$T/units/$(basename "$u")"
done
grep -q '^Type=notify$' "$T/units/newswire-ingestd.service" || fail "units are not Type=notify"
grep -q '^User=newswire$' "$T/units/newswire-archiver.service" || fail "units do not run as newswire"
grep -q '^ProtectSystem=strict$' "$T/units/newswire-notifier.service" || fail "units lack hardening"
if command -v systemd-analyze >/dev/null; then
  (cd "$T/units" && MANPATH="$R/share/man" systemd-analyze verify ./newswire-ingestd.service \
     ./newswire-archiver.service ./newswire-indexer.service ./newswire-notifier.service \
     ./newswire.target) >"$T/verify" 2>&1
  expect_eq "$?" 0 "systemd-analyze verify exit code"
  expect_eq "$(cat "$T/verify")" "" "systemd-analyze verify output"
  # the check can fail: a misspelt key is reported
  sed 's/^NoNewPrivileges=/NoNewPrivilegez=/' "$T/units/newswire-ingestd.service" >"$T/units/broken.service"
  (cd "$T/units" && MANPATH="$R/share/man" systemd-analyze verify ./broken.service) >"$T/verify2" 2>&1
  grep -q "Unknown key 'NoNewPrivilegez'" "$T/verify2" || fail "verify did not catch a broken unit"
else
  fail "systemd-analyze is missing (deploy/deps.sh installs systemd)"
fi

# sd_notify: READY=1 once serving, STOPPING=1 on SIGTERM
python3 - "$T/notify.sock" "$T/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "a") as log:
    while True:
        msg = s.recv(4096).decode()
        log.write(msg.replace("\n", " ") + "\n")
        log.flush()
        if "STOPPING=1" in msg:
            break
EOF
track $!
wait_until 10 test -S "$T/notify.sock" || fail "notify socket not bound"
write_conf
NOTIFY_SOCKET="$T/notify.sock" "$D" -c "$T/newswire.conf" 2>"$T/ingestd.log" &
pid=$!
track $pid
wait_until 10 grep -q 'READY=1' "$T/notify.log" || fail "ingestd did not notify READY=1"
"$NW_BIN" -c "$T/newswire.conf" submit "$NW_CORPUS/seed/seed.txt" >/dev/null || fail "not serving after READY=1"
kill -TERM $pid; wait $pid
expect_eq "$?" 0 "ingestd exit code"
wait_until 10 grep -q 'STOPPING=1' "$T/notify.log" || fail "ingestd did not notify STOPPING=1"
finish
