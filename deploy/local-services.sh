#!/usr/bin/env bash
# The services newswire's tests need, brought up for one command and stopped after it.
#
#   deploy/local-services.sh packages         install the missing system packages (as root),
#                                             or name them in one line and exit 2
#   deploy/local-services.sh run -- CMD ...   packages, then start Kafka, PostgreSQL and Redis
#                                             where none answers yet, run CMD, and stop what
#                                             this call started (also on failure or Ctrl-C);
#                                             exits with CMD's code
#
# A service is used and left alone when it already answers, or when a setting points at
# another one: NEWSWIRE_KAFKA_BOOTSTRAP, NEWSWIRE_TEST_POSTGRES_URL, NEWSWIRE_TEST_REDIS_URL.
# `make test` runs the test suite through `run`; `.ci/run` calls `make test`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf 'local-services: %s\n' "$*" >&2; }

# Debian package -> the command (or check) that tells it is present.
missing_packages() {
  local need=()
  command -v java >/dev/null || need+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || need+=(maven)
  python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v promtool >/dev/null || need+=(prometheus)
  command -v chromium >/dev/null || need+=(chromium)
  echo "${need[*]}"
}

packages() {
  local need
  need=$(missing_packages)
  [ -z "$need" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing system packages; install them first: sudo apt-get install -y $need"
    exit 2
  fi
  say "installing Debian packages: $need"
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  local opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
  # shellcheck disable=SC2086 # one word per package
  if ! apt-get install "${opts[@]}" $need >/dev/null; then
    apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
    # shellcheck disable=SC2086
    apt-get install "${opts[@]}" $need >/dev/null
  fi
  # Debian's packages start their own services (Redis on 6379, Prometheus on 9090); the
  # tests use private instances on other ports, so those are stopped again.
  if command -v systemctl >/dev/null; then
    systemctl disable --now prometheus redis-server >/dev/null 2>&1 || true
  fi
  need=$(missing_packages)
  [ -z "$need" ] || { say "still missing after apt-get: $need"; exit 1; }
}

started=()

stop_started() {
  local script
  for script in "${started[@]}"; do "$script" stop || true; done
  started=()
}

# Something answers on 127.0.0.1:PORT (ours from an earlier start, or another checkout's).
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME SETTING PORT SCRIPT: use what SETTING points at, or what answers on PORT, or
# start it with SCRIPT and remember that this run did.
start() {
  local name=$1 setting=$2 port=$3 script=$4
  if [ -n "${!setting:-}" ]; then
    say "$name: using $setting=${!setting}"
  elif answers "$port"; then
    say "$name: already running on 127.0.0.1:$port, left alone"
  else
    started+=("$script")
    "$script" start
  fi
}

start_services() {
  start Kafka NEWSWIRE_KAFKA_BOOTSTRAP "${NEWSWIRE_LOCAL_KAFKA_PORT:-9092}" "$here/kafka/local-kafka.sh"
  start PostgreSQL NEWSWIRE_TEST_POSTGRES_URL "${NEWSWIRE_PG_PORT:-5433}" "$here/postgres/local-postgres.sh"
  start Redis NEWSWIRE_TEST_REDIS_URL "${NEWSWIRE_LOCAL_REDIS_PORT:-6390}" "$here/redis/local-redis.sh"
}

run() {
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || { say "run needs a command: run -- CMD ..."; exit 2; }
  packages
  # EXIT covers failure; INT and TERM stop the services, then exit as interrupted.
  trap stop_started EXIT
  trap 'stop_started; exit 130' INT
  trap 'stop_started; exit 143' TERM
  start_services
  local rc=0
  "$@" || rc=$?
  exit "$rc"
}

case "${1:-}" in
  packages) packages ;;
  run) shift; run "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
