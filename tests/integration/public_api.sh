#!/bin/sh
# libnewswire.so exports exactly the functions the public headers declare:
# each declared function is there, and nothing internal leaks out.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
so="$NW_BUILD_DIR/common/libnewswire.so"
[ -f "$so" ] || { fail "no $so"; finish; }
# declarations: a return type, then nw_name( at the start of a line
cat "$NW_SOURCE_DIR"/include/newswire/*.h |
  grep -oE '^[a-z][a-z_ 0-9]*[ *]+(nw_[a-z0-9_]+)\(' |
  grep -oE 'nw_[a-z0-9_]+\($' | tr -d '(' | sort -u >"$T/declared"
nm -D --defined-only "$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
  sort -u >"$T/exported"
[ "$(wc -l <"$T/declared")" -ge 20 ] || fail "found only $(wc -l <"$T/declared") declarations"
missing=$(comm -23 "$T/declared" "$T/exported" | tr '\n' ' ')
extra=$(comm -13 "$T/declared" "$T/exported" | tr '\n' ' ')
expect_eq "$missing" "" "declared but not exported"
expect_eq "$extra" "" "exported but not declared"
# a program built against the installed layout finds everything it needs
nm -D --undefined-only "$NW_BUILD_DIR/examples/subscribe-uv" | grep -q ' nw_' ||
  fail "subscribe-uv does not link libnewswire dynamically"
finish
