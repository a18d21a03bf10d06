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
