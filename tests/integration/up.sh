#!/bin/sh
# newswire up: starts the four services with the same config, prefixes
# their logs, restarts one that dies, and stops them all on SIGTERM.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
write_conf
write_stack_conf
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
"$NW_BIN" -c "$T/newswire.conf" up 2>"$T/up.log" & up=$!
track $up
children() { pgrep -f -- "-c $T/newswire.conf" | grep -v "^$up\$"; }
four() { [ "$(children | wc -l)" -eq 4 ]; }
wait_until 30 four || fail "children running: $(children | wc -l)"

nw submit "$NW_CORPUS/seed/seed.txt" >/dev/null || fail "submit through up"
archived() { nw get 1 >/dev/null; }
wait_until 30 archived || fail "the archiver under up did not store the article"
for s in ingestd archiver indexer notifier; do
  grep -q "^$s *| ts=.*svc=$s msg=started\|^$s *| ts=.*svc=$s msg=\"ingestd ready\"" "$T/up.log" ||
    fail "no prefixed start line for $s"
done

# a child that dies is started again, and catches up
apid=$(pgrep -f -- "newswire-archiver -c $T/newswire.conf")
kill -9 "$apid"
restarted() { grep -q '^up *| restarting archiver in 1 s' "$T/up.log" && four; }
wait_until 30 restarted || fail "archiver not restarted: $(tail -3 "$T/up.log")"
new=$(pgrep -f -- "newswire-archiver -c $T/newswire.conf")
[ -n "$new" ] && [ "$new" != "$apid" ] || fail "no new archiver process"
printf 'Tin sau khi khởi động lại\n\nNội dung.\n' >"$T/after.txt"
nw submit "$T/after.txt" >/dev/null || fail "submit after the restart"
archived2() { nw get 2 >/dev/null; }
wait_until 30 archived2 || fail "the restarted archiver did not catch up"

kill -TERM $up
wait $up
expect_eq "$?" 0 "up exit code after SIGTERM"
expect_eq "$(children | wc -l)" 0 "services left running"
grep -q '^up *| all services stopped' "$T/up.log" || fail "no final line: $(tail -2 "$T/up.log")"
grep 'exited (signal' "$T/up.log" | grep -v 'signal 9' | grep -q . && fail "a service died of a signal at stop"
finish
