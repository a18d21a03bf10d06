# Helpers for shell tests: a temp dir removed on exit, background processes
# killed on exit (register them with `track PID`), assertions that count.
T=$(mktemp -d /tmp/nwtest.XXXXXX)
cleanup() {
  if [ -f "$T/pids" ]; then
    for p in $(cat "$T/pids"); do kill -9 "$p" 2>/dev/null; done
  fi
  [ -n "${NW_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
track() { echo "$1" >>"$T/pids"; }
# A config for an ingestd of this test: journal and ipc endpoints under $T;
# extra "key = value" lines for [ingestd] may follow as arguments.
D="$NW_BUILD_DIR/services/ingestd/newswire-ingestd"
write_conf() {
  {
    echo "[ingestd]"
    echo "data_dir = $T/journal"
    echo "publish = ipc://$T/run/publish.ipc"
    echo "submit = ipc://$T/run/submit.ipc"
    echo "replay = ipc://$T/run/replay.ipc"
    for line in "$@"; do echo "$line"; done
  } >"$T/newswire.conf"
}
# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds;
# false when the time runs out (a condition, not a guessed delay).
wait_until() {
  limit=$(( $1 * 10 )); shift
  while ! "$@" 2>/dev/null; do
    limit=$((limit - 1))
    [ $limit -gt 0 ] || return 1
    sleep 0.1
  done
}
# lines_at_least FILE N: true once FILE has N lines (for wait_until).
lines_at_least() { [ "$(wc -l <"$1")" -ge "$2" ]; }
failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_eq() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
# (never one it gave before in this test: the kernel may hand out a port
# again once it is released)
free_port() {
  while :; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    grep -qx "$port" "$T/ports" 2>/dev/null || break
  done
  echo "$port" >>"$T/ports"
  echo "$port"
}
# The whole stack: write_stack_conf adds archiver/indexer/notifier sections
# (databases under $T, ipc endpoints, metrics and search HTTP on free
# ports) to the config write_conf wrote; extra lines for [notifier] follow.
write_stack_conf() {
  IDX_HTTP=$(free_port)
  {
    echo "[archiver]"
    echo "db = $T/archive.db"
    echo "[indexer]"
    echo "db = $T/index.db"
    echo "query = ipc://$T/run/query.ipc"
    echo "http = 127.0.0.1:$IDX_HTTP"
    echo "[notifier]"
    echo "db = $T/notifier.db"
    for line in "$@"; do echo "$line"; done
  } >>"$T/newswire.conf"
}
SVC_DIR="$NW_BUILD_DIR/services"
# start_svc NAME: starts newswire-NAME on the test's config; its pid goes
# to the variable NAME_pid and to the tracked list.
start_svc() {
  "$SVC_DIR/$1/newswire-$1" -c "$T/newswire.conf" 2>>"$T/$1.log" &
  eval "$1_pid=$!"
  track $!
}
# stop_svc NAME: SIGTERM, wait, expect exit 0.
stop_svc() {
  eval "p=\$$1_pid"
  kill -TERM "$p"; wait "$p"
  expect_eq "$?" 0 "$1 exit code after SIGTERM"
}
