#!/bin/sh
# newswire parse and config through the real executable: output shape,
# exit codes, and `path: reason` / `path#N: reason` on stderr.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"

seed="$NW_CORPUS/seed/seed.txt"

# one JSON line per article, exit 0
"$NW_BIN" parse "$seed" >"$T/out" 2>"$T/err"; rc=$?
expect_eq "$rc" 0 "parse seed exit code"
expect_eq "$(wc -l <"$T/out")" 1 "parse seed prints one line"
grep -q '"title":"Huyện Lệ Thủy sơ kết' "$T/out" || fail "seed title missing from output"
grep -q '"ref":"117"' "$T/out" || fail "seed ref missing"
expect_eq "$(wc -c <"$T/err")" 0 "nothing on stderr for a good file"

# --pretty spreads the object over lines
"$NW_BIN" parse --pretty "$seed" >"$T/pretty" || fail "--pretty failed"
[ "$(wc -l <"$T/pretty")" -gt 20 ] || fail "--pretty output is not indented"

# several files, one rejected: others still printed, exit 1, reason on stderr
printf '' >"$T/empty.txt"
printf 'caf\351\n\nbody\n' >"$T/latin1.txt"
"$NW_BIN" parse "$seed" "$T/empty.txt" "$T/latin1.txt" "$seed" >"$T/out" 2>"$T/err"; rc=$?
expect_eq "$rc" 1 "exit code with rejected files"
expect_eq "$(wc -l <"$T/out")" 2 "good files still parsed"
grep -qx "$T/empty.txt: empty input" "$T/err" || fail "empty file reason: $(cat "$T/err")"
grep -q "^$T/latin1.txt: not valid UTF-8" "$T/err" || fail "latin-1 reason: $(cat "$T/err")"

# a JSON array with one bad record: path#N: reason, the rest printed
printf '[{"title":"A","content":"x"},{"content":"y"},{"title":"C"}]' >"$T/batch.json"
"$NW_BIN" parse "$T/batch.json" >"$T/out" 2>"$T/err"; rc=$?
expect_eq "$rc" 1 "exit code with a rejected record"
expect_eq "$(wc -l <"$T/out")" 2 "other records printed"
grep -q "^$T/batch.json#2: no title" "$T/err" || fail "record reason: $(cat "$T/err")"

# feeds: one line per entry, format from the root, a bad feed rejected whole
feeds="$NW_CORPUS/dev/feeds"
"$NW_BIN" parse "$feeds"/vn-004-data.rss.xml >"$T/out" 2>"$T/err"; rc=$?
expect_eq "$rc" 0 "parse a malformed VnExpress feed"
expect_eq "$(wc -l <"$T/out")" 25 "one line per feed entry"
expect_eq "$(grep -c '"format":"rss"' "$T/out")" 25 "feed entries are rss articles"
"$NW_BIN" parse "$feeds"/fp-encoding-038-bozo_bogus_encoding.rss.xml >"$T/out" 2>"$T/err"; rc=$?
expect_eq "$rc" 1 "unreadable feed exit code"
grep -q 'declares encoding "bogus"' "$T/err" || fail "bogus encoding reason: $(cat "$T/err")"
"$NW_BIN" parse --format atom - <"$feeds"/rss-parser-010-gulp-atom.atom.xml >"$T/out" || fail "atom on stdin"
expect_eq "$(grep -c '"format":"atom"' "$T/out")" 10 "atom entries from stdin"

# standard input, forced format
printf 'Tiêu đề\n\nNội dung.\n' | "$NW_BIN" parse --format text - >"$T/out" || fail "stdin parse"
grep -q '"title":"Tiêu đề"' "$T/out" || fail "stdin title"

# size limit from the config
head -c 3000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
"$NW_BIN" parse --set ingestd.max_article_bytes=2KB "$T/big.txt" >/dev/null 2>"$T/err"; rc=$?
expect_eq "$rc" 1 "oversize exit code"
grep -q "over the limit of 2048 bytes" "$T/err" || fail "oversize reason: $(cat "$T/err")"

# usage errors exit 2
"$NW_BIN" parse >/dev/null 2>&1; expect_eq "$?" 2 "parse without files"
"$NW_BIN" parse --bogus "$seed" >/dev/null 2>&1; expect_eq "$?" 2 "unknown option"
"$NW_BIN" frobnicate >/dev/null 2>&1; expect_eq "$?" 2 "unknown command"
"$NW_BIN" parse --set ingestd.fsync=maybe "$seed" >/dev/null 2>"$T/err"; expect_eq "$?" 2 "bad --set"
grep -q "is not one of always|batch|off" "$T/err" || fail "bad --set message"
"$NW_BIN" parse "$T" >/dev/null 2>"$T/err"; expect_eq "$?" 1 "directory"
grep -q "is a directory" "$T/err" || fail "directory reason"

# a bad config file names file:line
printf '[ingestd]\nfsync = always\nnope = 1\n' >"$T/bad.conf"
"$NW_BIN" -c "$T/bad.conf" config check >/dev/null 2>"$T/err"; rc=$?
expect_eq "$rc" 2 "bad config exit code"
grep -q "$T/bad.conf:3: unknown key \"nope\" in \[ingestd\]" "$T/err" || fail "config error: $(cat "$T/err")"
printf '[ingestd]\nfsync = always\n' >"$T/good.conf"
"$NW_BIN" -c "$T/good.conf" config check >/dev/null || fail "good config rejected"

# --version and --help
"$NW_BIN" --version | grep -q '^newswire [0-9]' || fail "--version"
"$NW_BIN" --help | grep -q 'parse' || fail "--help lists parse"
"$NW_BIN" parse --help | grep -q 'usage: newswire parse' || fail "parse --help"

finish
