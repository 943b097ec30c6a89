#!/usr/bin/env bash
# A local Redis for the dedup seen-store shared by replicas, on 127.0.0.1 only.
#
#   deploy/redis/local-redis.sh start    install redis-server if missing, start, wait for PING
#   deploy/redis/local-redis.sh stop     SHUTDOWN (saves), then SIGTERM/SIGKILL after a deadline
#   deploy/redis/local-redis.sh status   exit 0 when it runs and answers PING
#
# Idempotent: starting a running server or stopping a stopped one is a no-op. Data, pid and
# log live under .local/redis/ (git-ignored). Environment: NEWSWIRE_LOCAL_REDIS_PORT (6390),
# NEWSWIRE_LOCAL_DIR (.local). Redis comes from Debian's package `redis-server`; the
# Debian service it installs is left alone (it listens on 6379, we use our own port).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${NEWSWIRE_LOCAL_REDIS_PORT:-6390}
home=${NEWSWIRE_LOCAL_DIR:-$root/.local}/redis
data=$home/data-$port
pidfile=$home/redis-$port.pid
logfile=$home/redis-$port.log

say() { printf 'local-redis: %s\n' "$*" >&2; }

pong() { [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; }

install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  say "redis-server is missing; installing Debian's package (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  local tries=0
  until apt-get install -y -q redis-server >&2; do
    tries=$((tries + 1))
    [ "$tries" -ge 20 ] && { say "apt-get install redis-server failed"; exit 1; }
    if [ "$tries" -eq 1 ]; then apt-get update -q >&2 || true; fi
    say "apt-get failed (dpkg lock held?); retrying in 15 s"
    sleep 15
  done
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
    return 0
  fi
  rm -f "$pidfile"
  return 1
}

start() {
  install
  if pid=$(running_pid) && pong; then
    say "already running (pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  if pong; then
    say "port $port answers but is not ours; set NEWSWIRE_LOCAL_REDIS_PORT"
    exit 1
  fi
  mkdir -p "$data"
  say "starting redis-server on 127.0.0.1:$port (data: $data, log: $logfile)"
  # appendonly + fsync everysec: a restarted server resumes from its data (DESIGN.md, State).
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --daemonize yes --pidfile "$pidfile" --logfile "$logfile" --dir "$data" \
    --appendonly yes --appendfsync everysec --save "" >/dev/null
  for _ in $(seq 1 100); do
    if pong; then say "answers PING"; return 0; fi
    sleep 0.1
  done
  say "redis-server did not answer PING within 10 s; see $logfile"
  tail -20 "$logfile" >&2 || true
  exit 1
}

stop() {
  local pid
  pid=$(running_pid) || { say "not running"; return 0; }
  redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "stopped"; return 0; }
    sleep 0.1
  done
  say "did not stop within 10 s; SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if pid=$(running_pid) && pong; then
    say "running (pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  say "not running on 127.0.0.1:$port"
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
