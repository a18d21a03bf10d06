#!/bin/sh
# The backup and restore of docs/operations.md, run as written against a
# live stack: sqlite3 .backup of the databases while the services write,
# then a copy of the journal; articles ingested between the two copies
# reach the services again after the restore, articles after the journal
# copy are gone until resubmitted, no article is stored twice, and new
# articles follow with the next seqs.
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || { fail "sqlite3 is missing (deploy/deps.sh installs it)"; finish; }
write_conf
write_stack_conf
nw() { "$NW_BIN" -c "$T/newswire.conf" "$@"; }
count() { sqlite3 "$1" "SELECT count(*) FROM $2" 2>/dev/null; }
archived() { [ "$(count "$T/archive.db" articles)" = "$1" ] && [ "$(count "$T/index.db" meta)" = "$1" ]; }
article() {  # article N: a distinct small article on stdout
  printf 'Bản tin sao lưu số %d\n\nNội dung riêng của bản tin số %d về sao lưu và khôi phục.\n' "$1" "$1"
}
submit_range() {  # submit_range FROM TO
  i=$1
  while [ "$i" -le "$2" ]; do
    article "$i" >"$T/in/a$i.txt"
    i=$((i + 1))
  done
}
mkdir -p "$T/in" "$T/backup"
start_all() { start_svc ingestd; start_svc archiver; start_svc indexer; }
stop_all() { stop_svc archiver; stop_svc indexer; stop_svc ingestd; }

start_all
nw submit "$NW_CORPUS/dev/text" >"$T/acks1" 2>&1 || fail "submit of dev/text"
n1=$(grep -vc '^dup ' "$T/acks1")
wait_until 60 archived "$n1" || fail "first $n1 articles not archived and indexed"

# 1. the databases, online, while the services run
sqlite3 "$T/archive.db" ".backup $T/backup/archive.db" || fail "archive backup"
sqlite3 "$T/index.db" ".backup $T/backup/index.db" || fail "index backup"
# ingested between the two copies: back after the restore by replay
submit_range 1 10
nw submit "$T"/in/a*.txt >"$T/acks2" || fail "submit 1..10"
wait_until 30 archived $((n1 + 10)) || fail "articles 1..10 not archived"
# 2. the journal
cp -a "$T/journal" "$T/backup/journal" || fail "journal copy"
# ingested after the journal copy: lost by the restore
rm -f "$T"/in/*
submit_range 11 15
nw submit "$T"/in/a*.txt >"$T/acks3" || fail "submit 11..15"
last_before=$(awk '{print $1}' "$T/acks3" | sort -n | tail -1)
stop_all

# restore into place
rm -rf "$T/journal" "$T/archive.db"* "$T/index.db"*
cp -a "$T/backup/journal" "$T/journal"
cp "$T/backup/archive.db" "$T/backup/index.db" "$T/"
start_all
wait_until 60 archived $((n1 + 10)) || fail "after restore: want $((n1 + 10)) articles, have $(count "$T/archive.db" articles)"
expect_eq "$(sqlite3 "$T/archive.db" 'SELECT count(DISTINCT seq) = count(*) AND count(DISTINCT id) = count(*) FROM articles')" 1 \
  "no article stored twice"
expect_eq "$(sqlite3 "$T/archive.db" 'SELECT max(seq) FROM articles')" $((n1 + 10)) "newest archived seq"
# the lost ones come back when resubmitted, with the next seqs
nw submit "$T"/in/a*.txt >"$T/acks4" || fail "resubmit 11..15"
expect_eq "$(grep -c '^dup ' "$T/acks4")" 0 "articles after the journal copy are new again"
expect_eq "$(awk '{print $1}' "$T/acks4" | sort -n | head -1)" $((n1 + 11)) "first seq after the restore"
wait_until 30 archived $((n1 + 15)) || fail "resubmitted articles not archived"
echo "restored: $n1 + 10 articles back, 5 resubmitted (seqs $((n1 + 11))..$((n1 + 15)); before the restore they had ..$last_before)"
stop_all
finish
