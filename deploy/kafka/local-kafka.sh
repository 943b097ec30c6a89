#!/usr/bin/env bash
# A single-node Apache Kafka 4.x (KRaft, combined broker+controller) on 127.0.0.1.
#
#   deploy/kafka/local-kafka.sh fetch    resolve the broker jars from Maven Central (cached)
#   deploy/kafka/local-kafka.sh format   fetch, write the properties, format storage if needed
#   deploy/kafka/local-kafka.sh start    fetch, format storage if needed, start, wait until it answers
#   deploy/kafka/local-kafka.sh stop     stop it cleanly (SIGTERM, then SIGKILL after a deadline)
#   deploy/kafka/local-kafka.sh status   exit 0 when it runs and answers
#   deploy/kafka/local-kafka.sh reset    stop it and delete its data
#   deploy/kafka/local-kafka.sh start-cluster [N]  a separate N-node cluster (default 3)
#   deploy/kafka/local-kafka.sh stop-cluster | status-cluster | reset-cluster
#
# Everything lives under .local/kafka/ (git-ignored). Starting it when it already runs is a
# no-op; a stale pid file or a storage directory formatted for another cluster id is handled.
# Environment: NEWSWIRE_LOCAL_KAFKA_PORT (9092), NEWSWIRE_LOCAL_KAFKA_CONTROLLER_PORT (9093),
# NEWSWIRE_LOCAL_KAFKA_VERSION (4.1.1), NEWSWIRE_LOCAL_KAFKA_HEAP (1g), NEWSWIRE_LOCAL_DIR.
# The cluster: nodes 1..N, each a combined broker+controller of an N-voter quorum, client
# ports 19092.., controller ports 19192.., under .local/kafka/cluster/node-<id>/; internal
# topics and default replication N (at most 3), min.insync.replicas 2. Environment:
# NEWSWIRE_LOCAL_KAFKA_CLUSTER_PORT (19092), NEWSWIRE_LOCAL_KAFKA_CLUSTER_HEAP (384m).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${NEWSWIRE_LOCAL_KAFKA_VERSION:-4.1.1}
port=${NEWSWIRE_LOCAL_KAFKA_PORT:-9092}
cport=${NEWSWIRE_LOCAL_KAFKA_CONTROLLER_PORT:-9093}
heap=${NEWSWIRE_LOCAL_KAFKA_HEAP:-1g}
home=${NEWSWIRE_LOCAL_DIR:-$root/.local}/kafka
libs=$home/libs-$version
data=$home/data-$port
pidfile=$home/broker-$port.pid
logfile=$home/broker-$port.log
props=$home/server-$port.properties
cidfile=$home/cluster-id-$port

say() { printf 'local-kafka: %s\n' "$*" >&2; }

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
    return 0
  fi
  say "removing stale pid file ($pid is not a running broker)"
  rm -f "$pidfile"
  return 1
}

fetch() {
  if [ -f "$libs/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { say "mvn is not installed (apt-get install -y maven)"; exit 1; }
  say "resolving kafka_2.13:$version and its runtime dependencies from Maven Central (first run only)..."
  local tmp=$libs.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # mvn's output goes to a log (even -q -B leaves colour resets on the terminal); its tail is
  # shown when it fails.
  mkdir -p "$home"
  mvn -B -q -Dstyle.color=never -f "$here/pom.xml" -Dkafka.version="$version" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    >"$home/mvn.log" 2>&1 \
    || { say "mvn could not resolve the broker jars; the end of $home/mvn.log:"; tail -20 "$home/mvn.log" >&2; exit 1; }
  rm -rf "$libs"
  mv "$tmp" "$libs"
  touch "$libs/.complete"
  say "cached $(ls "$libs" | wc -l) jars in $libs"
}

# 16 random bytes in URL-safe base64, as Kafka's own ids. Such an id may begin with "-", so
# it is always passed as --cluster-id=ID, never as a separate argument an option parser
# could take for an option.
new_cluster_id() { head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }

java_args=(java "-Xmx$heap" "-Xms$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$here/log4j2.properties" -cp "$libs/*")

write_props() {
  cat >"$props" <<PROPS
# Written by deploy/kafka/local-kafka.sh; edits are overwritten at the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=16777216
PROPS
}

format_storage() {
  local cid=""
  [ -f "$cidfile" ] && cid=$(cat "$cidfile")
  if [ -f "$data/meta.properties" ] && [ -n "$cid" ] && grep -q "^cluster.id=$cid\$" "$data/meta.properties"; then
    return 0
  fi
  if [ -d "$data" ]; then say "storage in $data is not formatted for this node; formatting it anew"; fi
  rm -rf "$data"
  # A cluster id written before (kept when only the data went) is used again.
  [ -n "$cid" ] || cid=$(new_cluster_id)
  echo "$cid" >"$cidfile"
  "${java_args[@]}" kafka.tools.StorageTool format "--cluster-id=$cid" -c "$props" >>"$logfile" 2>&1 \
    || { say "formatting storage failed; see $logfile"; tail -20 "$logfile" >&2; exit 1; }
}

start() {
  if pid=$(running_pid); then
    say "already running (pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  if answers; then
    say "port $port is taken by another process; set NEWSWIRE_LOCAL_KAFKA_PORT or NEWSWIRE_KAFKA_BOOTSTRAP"
    exit 1
  fi
  command -v java >/dev/null || { say "java is not installed (apt-get install -y openjdk-17-jre-headless)"; exit 1; }
  fetch
  mkdir -p "$home"
  write_props
  format_storage
  say "starting Kafka $version on 127.0.0.1:$port (log: $logfile)"
  setsid nohup "${java_args[@]}" kafka.Kafka "$props" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + 90))
  while ! answers || ! grep -q "Kafka Server started" "$logfile"; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      say "the broker exited during start-up; last lines of $logfile:"
      tail -30 "$logfile" >&2
      rm -f "$pidfile"
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "the broker did not answer within 90 s; see $logfile"
      exit 1
    fi
    printf '.' >&2
    sleep 0.5
  done
  printf '\n' >&2
  say "ready on 127.0.0.1:$port (pid $(cat "$pidfile"))"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    say "not running"
    return 0
  fi
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      say "still running after 30 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
  say "stopped"
}


# -- the multi-node cluster; the single node above is untouched by these ----------
cbase=${NEWSWIRE_LOCAL_KAFKA_CLUSTER_PORT:-19092}
cheap=${NEWSWIRE_LOCAL_KAFKA_CLUSTER_HEAP:-384m}
chome=$home/cluster
cjava_args=(java "-Xmx$cheap" "-Xms$cheap" "${java_args[@]:3}")

node_port() { echo $((cbase + $1 - 1)); }
node_cport() { echo $((cbase + 100 + $1 - 1)); }
node_dir() { echo "$chome/node-$1"; }
node_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$(node_port "$1")") 2>/dev/null; }
cluster_size() { cat "$chome/size" 2>/dev/null || echo 3; }

node_pid() {
  local f
  f="$(node_dir "$1")/broker.pid"
  [ -f "$f" ] || return 1
  local pid
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
    return 0
  fi
  rm -f "$f"
  return 1
}

write_node_props() {
  local id=$1 n=$2 dir voters="" i rf
  dir=$(node_dir "$id")
  for i in $(seq 1 "$n"); do voters="$voters${voters:+,}$i@127.0.0.1:$(node_cport "$i")"; done
  rf=$((n < 3 ? n : 3))
  cat >"$dir/server.properties" <<PROPS
# Written by deploy/kafka/local-kafka.sh start-cluster; edits are overwritten at the next start.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(node_port "$id"),CONTROLLER://127.0.0.1:$(node_cport "$id")
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_port "$id")
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$((rf < 2 ? rf : 2))
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$((rf < 2 ? rf : 2))
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$((rf < 2 ? rf : 2))
group.initial.rebalance.delay.ms=0
unclean.leader.election.enable=false
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=16777216
PROPS
}

start_cluster() {
  local n=${1:-3} id cid dir deadline pending
  [ "$n" -ge 1 ] 2>/dev/null || { say "start-cluster takes a node count"; exit 2; }
  command -v java >/dev/null || { say "java is not installed (apt-get install -y openjdk-17-jre-headless)"; exit 1; }
  fetch
  mkdir -p "$chome"
  if [ -f "$chome/size" ] && [ "$(cluster_size)" != "$n" ]; then
    say "the cluster in $chome has $(cluster_size) nodes; reset-cluster first"; exit 1
  fi
  echo "$n" >"$chome/size"
  [ -f "$chome/cluster-id" ] || new_cluster_id >"$chome/cluster-id"
  cid=$(cat "$chome/cluster-id")
  for id in $(seq 1 "$n"); do
    dir=$(node_dir "$id")
    mkdir -p "$dir"
    if node_pid "$id" >/dev/null; then continue; fi
    if node_answers "$id"; then say "port $(node_port "$id") is taken by another process"; exit 1; fi
    write_node_props "$id" "$n"
    if ! grep -qs "^cluster.id=$cid\$" "$dir/data/meta.properties"; then
      rm -rf "$dir/data"
      "${cjava_args[@]}" kafka.tools.StorageTool format "--cluster-id=$cid" -c "$dir/server.properties" >>"$dir/broker.log" 2>&1 \
        || { say "formatting node $id failed; see $dir/broker.log"; tail -20 "$dir/broker.log" >&2; exit 1; }
    fi
    say "starting node $id on 127.0.0.1:$(node_port "$id") (log: $dir/broker.log)"
    setsid nohup "${cjava_args[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/broker.log" 2>&1 </dev/null &
    echo $! >"$dir/broker.pid"
  done
  deadline=$((SECONDS + 120))
  while :; do
    pending=0
    for id in $(seq 1 "$n"); do
      dir=$(node_dir "$id")
      if ! node_pid "$id" >/dev/null; then say "node $id exited during start-up:"; tail -30 "$dir/broker.log" >&2; exit 1; fi
      node_answers "$id" && grep -q "Kafka Server started" "$dir/broker.log" || pending=1
    done
    [ $pending = 0 ] && break
    if [ $SECONDS -ge $deadline ]; then say "the cluster did not answer within 120 s; see $chome/node-*/broker.log"; exit 1; fi
    printf '.' >&2
    sleep 0.5
  done
  printf '\n' >&2
  say "cluster ready: $(cluster_bootstrap)"
}

cluster_bootstrap() {
  local id out=""
  for id in $(seq 1 "$(cluster_size)"); do out="$out${out:+,}127.0.0.1:$(node_port "$id")"; done
  echo "$out"
}

stop_cluster() {
  local id pid deadline
  for id in $(seq 1 "$(cluster_size)"); do
    pid=$(node_pid "$id") && kill -TERM "$pid"
  done
  deadline=$((SECONDS + 30))
  for id in $(seq 1 "$(cluster_size)"); do
    while pid=$(node_pid "$id"); do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; continue; fi
      sleep 0.2
    done
  done
  say "cluster stopped"
}

status_cluster() {
  local id pid bad=0
  for id in $(seq 1 "$(cluster_size)"); do
    if pid=$(node_pid "$id") && node_answers "$id"; then
      say "node $id running (pid $pid) on 127.0.0.1:$(node_port "$id")"
    else
      say "node $id not running"; bad=1
    fi
  done
  [ $bad = 0 ] && echo "$(cluster_bootstrap)"
  return $bad
}

case "${1:-}" in
  fetch) fetch ;;
  format) mkdir -p "$home"; fetch; write_props; format_storage; say "storage formatted: $data (cluster id $(cat "$cidfile"))" ;;
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status)
    if pid=$(running_pid) && answers; then say "running (pid $pid) on 127.0.0.1:$port"; else say "not running"; exit 1; fi ;;
  reset) stop; rm -rf "$data" "$cidfile"; say "data deleted" ;;
  start-cluster) start_cluster "${2:-3}" ;;
  stop-cluster) stop_cluster ;;
  status-cluster) status_cluster ;;
  reset-cluster) stop_cluster; rm -rf "$chome"; say "cluster data deleted" ;;
  *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
