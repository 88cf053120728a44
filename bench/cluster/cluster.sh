#!/usr/bin/env bash
# A cluster of simulated hosts on one machine. Host I (1..N) has
#   - its own network namespace <prefix>hI (bench/cluster/netns.sh: eth0 at 10.77.0.I/24, a veth on a bridge that
#     lives in a namespace of its own, MTU 1500 unless --mtu, an optional tc tbf cap --rate);
#   - its own UTS namespace: hostname hostI;
#   - its own mount namespace: a tmpfs of its own on /dev/shm (two hosts cannot see each other's shared memory, as
#     two machines cannot), /etc/hosts naming host1..hostN, /sys showing its own interfaces. Everything else (/work,
#     /tmp, the JDK) is the machine's, as a shared file system would be.
# The namespaces are held by one small process per host (argv[0] "ringsync-hold-<prefix>hI", pid in
# DIR/hI.pid), so any number of processes can be started into a host later: bench/cluster/rsh hostI CMD... (the
# shape of `ssh hostI CMD`), or nsenter --target $(cat DIR/hI.pid) --net --uts --mount.
#
#   bench/cluster/cluster.sh up N [--mtu 1500] [--rate 10gbit|1gbit] [--shm-size 2g]
#   bench/cluster/cluster.sh down                # idempotent: ends the holders and every process still on a host,
#                                               # removes the namespaces and DIR
#   bench/cluster/cluster.sh status
#   bench/cluster/cluster.sh hosts              # host1 host2 ... (one a line), for hostfiles
#   bench/cluster/cluster.sh cut I | mend I     # bring host I's link down / up (its eth0 and its bridge port)
#
# RINGSYNC_NETNS_PREFIX (default ringsync-, must start with ringsync-) names a separate set with its own bridge, so
# a test can run beside a benchmark; DIR is ${RINGSYNC_CLUSTER_DIR:-/tmp/<prefix>cluster}. Needs root (namespaces
# and mounts need CAP_SYS_ADMIN and CAP_NET_ADMIN), iproute2 and util-linux's unshare and nsenter. `up` first
# removes what an earlier `up` of the same set left, and removes everything again if it fails half way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${RINGSYNC_NETNS_PREFIX:-ringsync-}
DIR=${RINGSYNC_CLUSTER_DIR:-/tmp/${PREFIX}cluster}
SUBNET=10.77.0

die() { echo "cluster.sh: $*" >&2; exit 1; }
[[ "$PREFIX" =~ ^ringsync-[A-Za-z0-9-]*$ ]] || die "RINGSYNC_NETNS_PREFIX=$PREFIX must start with ringsync- (letters, digits, -)"
need_root() {
  [ "$(id -u)" = 0 ] || die "needs root: simulated hosts are network, UTS and mount namespaces (CAP_SYS_ADMIN, CAP_NET_ADMIN); run it with sudo"
  local tool
  for tool in ip tc unshare nsenter; do
    command -v "$tool" >/dev/null || die "needs $tool (iproute2, util-linux)"
  done
}

# the holder of host I, if it is alive and really ours (its argv[0] and its network namespace match)
holder_pid() {
  local i=$1 pid
  pid=$(cat "$DIR/h$i.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  [ "$(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -d' ' -f1)" = "ringsync-hold-${PREFIX}h$i" ] || return 1
  [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/run/netns/${PREFIX}h$i" 2>/dev/null)" ] || return 1
  echo "$pid"
}

host_indices() {
  ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^${PREFIX}h\([0-9][0-9]*\)\$/\1/p" | sort -n
}

down() {
  local i pids pid
  for i in $(host_indices); do
    # every process still on the host (started through rsh or ip netns exec), then the holder: by pid, TERM then KILL
    pids=$(ip netns pids "${PREFIX}h$i" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      kill -TERM $pids 2>/dev/null || true
      for _ in $(seq 1 30); do
        pids=$(ip netns pids "${PREFIX}h$i" 2>/dev/null || true)
        [ -n "$pids" ] || break
        sleep 0.1
      done
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    fi
  done
  # the holders of hosts whose network namespace is already gone (should not happen, but leave nothing behind)
  for pid in "$DIR"/h*.pid; do
    [ -f "$pid" ] || continue
    i=${pid##*/h}; i=${i%.pid}
    [ -e "/run/netns/${PREFIX}h$i" ] && continue
    pid=$(cat "$pid")
    [ -n "$pid" ] && [ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -d' ' -f1)" = "ringsync-hold-${PREFIX}h$i" ] \
      && kill -KILL "$pid" 2>/dev/null || true
  done
  RINGSYNC_NETNS_PREFIX=$PREFIX "$here/netns.sh" down
  rm -rf "$DIR"
}

up() {
  local n=${1:-}; shift || true
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "up needs a host count from 1 to 200, got '$n'"
  local net_args=() shm_size=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --mtu|--rate) net_args+=("$1" "$2"); shift 2 ;;
      --delay)
        tc qdisc add dev lo root netem delay 1ms 2>/dev/null && tc qdisc del dev lo root 2>/dev/null
        die "--delay needs netem, which this kernel lacks; use --rate (tbf) only" ;;
      --shm-size) shm_size=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  down
  trap 'echo "cluster.sh: up failed, removing what it made" >&2; down' ERR
  trap 'echo "cluster.sh: interrupted, removing what up made" >&2; down; exit 130' INT TERM HUP
  RINGSYNC_NETNS_PREFIX=$PREFIX "$here/netns.sh" up "$n" "${net_args[@]}" >/dev/null
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  {
    echo "127.0.0.1 localhost"
    local i
    for i in $(seq 1 "$n"); do echo "$SUBNET.$i host$i"; done
  } > "$DIR/hosts"
  local i
  for i in $(seq 1 "$n"); do
    # ip netns exec gives the holder the host's network namespace and a /sys of it, unshare a mount namespace
    # (slave: the machine's later mounts, e.g. of new network namespaces, still show; the host's own do not leak
    # out) and a UTS namespace. The holder sets the host up, says ready, then sleeps until `down` ends it.
    ip netns exec "${PREFIX}h$i" unshare --mount --uts --propagation slave -- bash -c '
        set -e
        hostname "host$1"
        mount -t tmpfs -o "mode=1777${3:+,size=$3}" "ringsync-shm-host$1" /dev/shm
        mount --bind "$2/hosts" /etc/hosts
        echo $$ > "$2/h$1.pid.tmp"
        mv "$2/h$1.pid.tmp" "$2/h$1.pid"
        exec -a "ringsync-hold-$4h$1" sleep infinity' holder "$i" "$DIR" "$shm_size" "$PREFIX" \
      </dev/null >/dev/null 2>"$DIR/h$i.holder.err" &
  done
  local tries=0
  for i in $(seq 1 "$n"); do
    until holder_pid "$i" >/dev/null; do
      tries=$((tries + 1))
      if [ "$tries" -gt 100 ]; then
        echo "cluster.sh: host $i did not come up: $(cat "$DIR/h$i.holder.err" 2>/dev/null)" >&2
        false
      fi
      sleep 0.1
    done
  done
  trap - ERR INT TERM HUP
  echo "cluster.sh: $n hosts up (${net_args[*]:-mtu 1500}): $(seq -s ' ' -f 'host%g' 1 "$n") at $SUBNET.1-$n; rsh: $here/rsh"
}

status() {
  local i pid
  for i in $(host_indices); do
    if pid=$(holder_pid "$i"); then
      echo "host$i: ${PREFIX}h$i, holder $pid, $(ip -n "${PREFIX}h$i" -o -4 addr show eth0 | awk '{print $4}'), $(ip -n "${PREFIX}h$i" -o link show eth0 | grep -o 'mtu [0-9]*'), $(ip netns exec "${PREFIX}h$i" tc qdisc show dev eth0 | head -1)"
    else
      echo "host$i: ${PREFIX}h$i, no holder"
    fi
  done
  [ -n "$(host_indices)" ] || echo "cluster.sh: no ${PREFIX}h* hosts"
}

link() {  # up|down I
  local i=${2:?host number}
  [ -e "/run/netns/${PREFIX}h$i" ] || die "no host $i"
  ip -n "${PREFIX}h$i" link set eth0 "$1"
  ip -n "${PREFIX}sw" link set "port$i" "$1"
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) need_root; up "$@" ;;
  down) need_root; down ;;
  status) status ;;
  hosts) for i in $(host_indices); do echo "host$i"; done ;;
  cut) need_root; link down "$@" ;;
  mend) need_root; link up "$@" ;;
  pid) holder_pid "${1:?host number}" || die "host ${1} has no holder" ;;
  *) echo "usage: $0 up N [--mtu 1500] [--rate 10gbit] [--shm-size SIZE] | down | status | hosts | cut I | mend I | pid I" >&2; exit 2 ;;
esac
