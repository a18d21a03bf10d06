#!/bin/sh
# Builds and runs the newswire container stack with podman or docker,
# whichever can run containers here (podman first).
#   deploy/container.sh build    build the image (BASE_IMAGE=... for another base)
#   deploy/container.sh up       start the stack (deploy/compose.yaml) and wait until healthy
#   deploy/container.sh down     stop it (VOLUMES=1 also removes the data volumes)
#   deploy/container.sh logs [SERVICE]   the daemons' logs
#   deploy/container.sh ps       the containers and their health
#   deploy/container.sh reload   SIGHUP to the notifier and ingestd (rules, feeds)
#   deploy/container.sh smoke    submit the seed article, read it back with
#                                get and search, print what was checked
# Environment: BASE_IMAGE (default debian:bookworm-slim), NEWSWIRE_IMAGE
# (default localhost/newswire:latest), ENGINE (podman|docker) to choose,
# NEWSWIRE_PROJECT (default newswire) to run a second stack beside the
# first, NEWSWIRE_HTTP_PORT/SEARCH_PORT/SUBMIT_PORT for its host ports.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
IMAGE=${NEWSWIRE_IMAGE:-localhost/newswire:latest}
export NEWSWIRE_IMAGE=$IMAGE
PROJECT=${NEWSWIRE_PROJECT:-newswire}

die() { echo "container.sh: $*" >&2; exit 1; }

pick_engine() {
  if [ -n "${ENGINE:-}" ]; then
    "$ENGINE" info >/dev/null 2>&1 || die "$ENGINE cannot run containers here ($ENGINE info fails)"
    return
  fi
  for e in podman docker; do
    if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
      ENGINE=$e
      return
    fi
  done
  die "no container engine can run here: install podman (deploy/deps.sh --container) or start Docker"
}

compose() {
  if [ "$ENGINE" = podman ]; then
    command -v podman-compose >/dev/null 2>&1 || die "podman-compose is missing (deploy/deps.sh --container)"
    podman-compose -p "$PROJECT" -f deploy/compose.yaml "$@"
  else
    docker compose -p "$PROJECT" -f deploy/compose.yaml "$@"
  fi
}

# The container of a service, by the compose labels both tools set.
container_of() {
  "$ENGINE" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}

cli() {  # cli SERVICE ARGS...: the newswire CLI inside that service's container
  svc=$1; shift
  c=$(container_of "$svc")
  [ -n "$c" ] || die "no $svc container: is the stack up?"
  "$ENGINE" exec "$c" newswire -c /etc/newswire/newswire.conf "$@"
}

healthy() {
  for svc in ingestd archiver indexer notifier; do
    c=$(container_of "$svc")
    [ -n "$c" ] || return 1
    "$ENGINE" exec "$c" sh -c 'curl -fsS "http://127.0.0.1:$NW_HEALTH_PORT/healthz"' \
      >/dev/null 2>&1 || return 1
  done
}

wait_healthy() {
  n=$(( ${1:-90} * 2 ))
  until healthy; do
    n=$((n - 1))
    [ "$n" -gt 0 ] || die "the stack did not become healthy; see deploy/container.sh logs"
    sleep 0.5
  done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
build)
  pick_engine
  set -- --build-arg "BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}" -f deploy/Dockerfile -t "$IMAGE" .
  # podman keeps HEALTHCHECK only in the docker image format
  if [ "$ENGINE" = podman ]; then set -- --format docker "$@"; fi
  "$ENGINE" build "$@"
  echo "built $IMAGE with $ENGINE ($("$ENGINE" image inspect "$IMAGE" --format '{{.Size}}') bytes)"
  ;;
up)
  pick_engine
  compose up -d
  wait_healthy 90
  echo "newswire is up ($ENGINE): HTTP API http://127.0.0.1:${NEWSWIRE_HTTP_PORT:-8080}," \
       "search http://127.0.0.1:${NEWSWIRE_SEARCH_PORT:-8081}/v1/search?q="
  ;;
down)
  pick_engine
  if [ -n "${VOLUMES:-}" ]; then compose down -v; else compose down; fi
  ;;
logs)
  pick_engine
  if [ $# -gt 0 ]; then "$ENGINE" logs "$(container_of "$1")"; else compose logs; fi
  ;;
ps)
  pick_engine
  "$ENGINE" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --format '{{.Names}}\t{{.Status}}'
  ;;
reload)
  pick_engine
  for svc in notifier ingestd; do "$ENGINE" kill --signal HUP "$(container_of "$svc")" >/dev/null; done
  echo "SIGHUP sent to the notifier and ingestd"
  ;;
smoke)
  pick_engine
  wait_healthy 60
  seed=/usr/share/newswire/samples/le-thuy-antq.txt
  out=$(cli ingestd submit "$seed") || die "submit failed: $out"
  set -- $out
  if [ "$1" = dup ]; then seq=$2; id=$3; else seq=$1; id=$2; fi
  echo "smoke: submitted $seed -> seq $seq, id $id ($([ "$out" = "${out#dup}" ] && echo new || echo duplicate))"
  n=60
  until got=$(cli archiver get "$id" 2>/dev/null) && [ -n "$got" ]; do
    n=$((n - 1)); [ "$n" -gt 0 ] || die "get $id: not archived within 30 s"
    sleep 0.5
  done
  echo "$got" | grep -q "\"seq\":$seq[,}]" || die "get $id returned another article"
  title=$(echo "$got" | sed 's/.*"title":"\([^"]*\)".*/\1/')
  echo "smoke: get $id -> seq $seq, title \"$title\""
  n=60
  until found=$(cli ingestd search --json "le thuy" 2>/dev/null) && echo "$found" | grep -q "\"seq\":$seq[,}]"; do
    n=$((n - 1)); [ "$n" -gt 0 ] || die "search \"le thuy\" does not find seq $seq"
    sleep 0.5
  done
  echo "smoke: search \"le thuy\" (no diacritics) -> finds seq $seq among $(echo "$found" | grep -c '"seq"') hit(s)"
  echo "smoke: passed"
  ;;
*)
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  [ -z "$cmd" ] || exit 2
  ;;
esac
