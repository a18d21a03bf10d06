#!/bin/sh
# The container stack for real (label "container"): build the image with
# deploy/container.sh, bring the compose stack up, run the smoke check,
# kill the archiver's process (SIGKILL, from the host) while articles are
# posted, check the restart policy brings it back and every article is
# archived, tear everything down. Skipped (exit 77, with the reason)
# where no container engine can run a container (none installed, or one
# nested in a container without the privileges).
set -u
. "$NW_SOURCE_DIR/tests/integration/lib.sh"
skip() { echo "SKIP: $*"; exit 77; }

engine=""
for e in podman docker; do
  if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then engine=$e; break; fi
done
[ -n "$engine" ] || skip "no container engine can run here (podman info and docker info fail)"
if [ "$engine" = podman ]; then
  command -v podman-compose >/dev/null 2>&1 || skip "podman-compose is not installed"
  # runc where it is installed (crun fails on some hosts), a sane ulimit
  if command -v runc >/dev/null 2>&1; then
    printf '[engine]\nruntime="runc"\n[containers]\ndefault_ulimits=["nofile=20000:20000"]\n' \
      >"$T/containers.conf"
    export CONTAINERS_CONF="$T/containers.conf"
  fi
fi
export ENGINE=$engine
export NEWSWIRE_PROJECT="nwtest$$"
export NEWSWIRE_IMAGE="localhost/newswire-test:$$"
export NEWSWIRE_HTTP_PORT=$(free_port) NEWSWIRE_SEARCH_PORT=$(free_port) NEWSWIRE_SUBMIT_PORT=$(free_port)
CS="$NW_SOURCE_DIR/deploy/container.sh"

# the base image: BASE_IMAGE, else a local Debian 12 one, else debootstrap
if [ -z "${BASE_IMAGE:-}" ]; then
  if "$engine" image exists localhost/bookworm-base 2>/dev/null ||
     "$engine" image inspect localhost/bookworm-base >/dev/null 2>&1; then
    BASE_IMAGE=localhost/bookworm-base
  else
    command -v debootstrap >/dev/null 2>&1 || skip "no base image and no debootstrap"
    mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    echo "making a Debian 12 base image with debootstrap from ${mirror:=http://deb.debian.org/debian}"
    debootstrap --variant=minbase bookworm "$T/rootfs" "$mirror" >"$T/debootstrap.log" 2>&1 \
      || { tail -5 "$T/debootstrap.log"; skip "no base image: debootstrap from $mirror failed"; }
    # an engine that cannot store an image here (overlay over overlayfs
    # when nested in a container) cannot run the stack either
    tar -C "$T/rootfs" -c . | "$engine" import - localhost/bookworm-base >"$T/import" 2>&1 \
      || skip "$engine cannot store images here: $(tail -1 "$T/import")"
    rm -rf "$T/rootfs"
    BASE_IMAGE=localhost/bookworm-base
  fi
fi
export BASE_IMAGE
# can this engine run a container at all here (nested, unprivileged, ...)?
if ! "$engine" run --rm --ulimit nproc=4096:4096 --ulimit nofile=20000:20000 "$BASE_IMAGE" true \
     >"$T/trial" 2>&1; then
  skip "$engine cannot run a container here: $(tail -1 "$T/trial")"
fi
# the image build installs packages: can a container reach the mirror?
if ! "$engine" run --rm --ulimit nproc=4096:4096 --ulimit nofile=20000:20000 "$BASE_IMAGE" \
     apt-get update -q >"$T/trial" 2>&1; then
  skip "containers cannot reach the Debian mirror (apt-get update fails): $(tail -1 "$T/trial")"
fi

teardown() {
  VOLUMES=1 "$CS" down >/dev/null 2>&1
  "$engine" rmi -f "$NEWSWIRE_IMAGE" >/dev/null 2>&1
  cleanup
}
trap teardown EXIT

"$CS" build >"$T/build.log" 2>&1 || { tail -30 "$T/build.log"; fail "image build failed"; finish; }
tail -1 "$T/build.log"
size=$("$engine" image inspect "$NEWSWIRE_IMAGE" --format '{{.Size}}')
echo "image size: $size bytes"
run_image() { "$engine" run --rm --ulimit nproc=4096:4096 --ulimit nofile=20000:20000 "$@"; }
run_image "$NEWSWIRE_IMAGE" sh -c 'command -v cc gcc cmake; echo done' >"$T/tools" 2>/dev/null
expect_eq "$(cat "$T/tools")" "done" "compilers in the runtime image"
expect_eq "$(run_image "$NEWSWIRE_IMAGE" id -un 2>/dev/null)" newswire "the image's user"
run_image "$NEWSWIRE_IMAGE" newswire-ingestd --version >"$T/version" 2>/dev/null
grep -q '^newswire-ingestd [0-9]' "$T/version" || fail "ingestd --version in the image: $(cat "$T/version")"

"$CS" up >"$T/up.log" 2>&1 || { cat "$T/up.log"; fail "stack did not come up"; finish; }
"$CS" smoke >"$T/smoke" 2>&1
expect_eq "$?" 0 "smoke check exit code"
cat "$T/smoke"
grep -q '^smoke: passed' "$T/smoke" || fail "smoke check did not pass"

# kill the archiver's process from the host while articles are posted
U="http://127.0.0.1:$NEWSWIRE_HTTP_PORT"
arch=$("$engine" ps --filter "label=com.docker.compose.project=$NEWSWIRE_PROJECT" \
  --filter "label=com.docker.compose.service=archiver" --format '{{.Names}}' | head -1)
started=$("$engine" inspect "$arch" --format '{{.State.StartedAt}}')
hostpid=$("$engine" inspect "$arch" --format '{{.State.Pid}}')
[ "${hostpid:-0}" -gt 0 ] || fail "no archiver process"
kill -KILL "$hostpid"
: >"$T/ids"
i=1
while [ $i -le 20 ]; do
  printf 'Bài kiểm tra container số %d\n\nNội dung bài số %d, gửi khi archiver vừa bị giết.\n' $i $i |
    curl -s -X POST -H 'Content-Type: text/plain' --data-binary @- "$U/v1/articles" >"$T/r"
  id=$(sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$T/r")
  [ -n "$id" ] && echo "$id" >>"$T/ids" || fail "POST $i: $(cat "$T/r")"
  i=$((i + 1))
done
restarted() { [ "$("$engine" inspect "$arch" --format '{{.State.StartedAt}}')" != "$started" ] &&
              [ "$("$engine" inspect "$arch" --format '{{.State.Running}}')" = true ]; }
wait_until 60 restarted || fail "the archiver was not restarted after SIGKILL"
archived() {
  for id in $(cat "$T/ids"); do
    "$engine" exec "$arch" newswire -c /etc/newswire/newswire.conf get "$id" >/dev/null 2>&1 || return 1
  done
}
wait_until 60 archived || fail "articles posted while the archiver was down are missing"
expect_eq "$(wc -l <"$T/ids")" 20 "articles posted"
echo "archiver killed and restarted; all $(wc -l <"$T/ids") articles posted meanwhile are archived"

VOLUMES=1 "$CS" down >"$T/down.log" 2>&1
expect_eq "$?" 0 "container.sh down"
left=$("$engine" ps -a --filter "label=com.docker.compose.project=$NEWSWIRE_PROJECT" --format '{{.Names}}')
expect_eq "$left" "" "containers left after down"
finish
