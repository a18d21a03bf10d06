#!/bin/sh
# The one list of Debian packages newswire needs to build, test and run.
# Installs only what is missing; safe to run again. Debian 12, as root.
#   deploy/deps.sh              build + test packages + the container engine
#                               (what tests/run.sh needs)
#   deploy/deps.sh --build      only what building needs (deploy/local.sh,
#                               the image's build stage)
#   deploy/deps.sh --runtime    only what the binaries need at run time
#                               (the image's runtime stage)
#   deploy/deps.sh --container  podman, podman-compose, runc, debootstrap
#   deploy/deps.sh --list       print the default list
set -eu

BUILD_PKGS="
  build-essential cmake ninja-build pkg-config ca-certificates
  libzmq3-dev libuv1-dev libmsgpack-dev libutf8proc-dev libinih-dev
  libjansson-dev libxml2-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev libisal-dev
  node-llhttp libsystemd-dev help2man
"
TEST_PKGS="
  libcmocka-dev clang libclang-rt-14-dev python3 curl procps iproute2 systemd sqlite3 man-db
  tshark
"
CONTAINER_PKGS="
  podman podman-compose runc debootstrap
"
RUNTIME_PKGS="
  libzmq5 libuv1 libmsgpackc2 libutf8proc2 libinih1 libjansson4 libxml2
  libcurl4 libsqlite3-0 libssl3 libsystemd0 libisal2 ca-certificates curl sqlite3
"

case "${1:-}" in
  --build)     want=$BUILD_PKGS ;;
  --runtime)   want=$RUNTIME_PKGS ;;
  --container) want=$CONTAINER_PKGS ;;
  --list)      echo $BUILD_PKGS $TEST_PKGS $CONTAINER_PKGS; exit 0 ;;
  "")          want="$BUILD_PKGS $TEST_PKGS $CONTAINER_PKGS" ;;
  *) echo "usage: deploy/deps.sh [--build|--runtime|--container|--list]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages:$missing; run deploy/deps.sh as root" >&2
  exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
