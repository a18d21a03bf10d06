# Helpers for shell tests: a temp dir removed on exit, assertions that count.
T=$(mktemp -d /tmp/nwtest.XXXXXX)
trap 'rm -rf "$T"' EXIT
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
