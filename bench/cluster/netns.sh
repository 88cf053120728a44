#!/usr/bin/env bash
# Simulated hosts on one machine: N network namespaces, each with its own network stack and one address, joined by
# veth pairs on a bridge that lives in a namespace of its own (nothing is added to the machine's own namespace, so
# no traffic between the simulated hosts can leave the machine).
#
#   bench/cluster/netns.sh up N [--mtu 1500] [--rate 10gbit] [--delay 0us]   # hosts ringsync-h1..hN
#   bench/cluster/netns.sh down                                             # removes every ringsync-* namespace
#   bench/cluster/netns.sh status
#   bench/cluster/netns.sh addr I                                           # address of host I
#
# Host I is namespace ringsync-hI with interface eth0 at 10.77.0.I/24; the bridge is br0 in namespace ringsync-sw.
# Run a command on host I with: ip netns exec ringsync-hI COMMAND. RINGSYNC_NETNS_PREFIX (default ringsync-, must
# start with ringsync-) names another set, e.g. for a test that must not disturb a benchmark running meanwhile: each
# set has its own bridge namespace, so sets do not see each other even with the same addresses. --rate shapes each host's egress with a token
# bucket, --delay adds netem delay. Needs root (CAP_NET_ADMIN). `up` first removes what an earlier `up` left, and
# removes everything again if it fails half way; `down` is idempotent and removes only the set's own namespaces
# (<prefix>sw and <prefix>h<number>).
set -euo pipefail
PREFIX=${RINGSYNC_NETNS_PREFIX:-ringsync-}
SWITCH=${PREFIX}sw
SUBNET=10.77.0

die() { echo "netns.sh: $*" >&2; exit 1; }
[[ "$PREFIX" =~ ^ringsync-[A-Za-z0-9-]*$ ]] || die "RINGSYNC_NETNS_PREFIX=$PREFIX must start with ringsync- (letters, digits, -)"
need_root() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces need CAP_NET_ADMIN)"
  command -v ip >/dev/null || die "needs iproute2 (the ip command)"
}

down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}(sw|h[0-9]+)$" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
}

up() {
  local n=${1:-}; shift || true
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "up needs a host count from 1 to 200, got '$n'"
  local mtu=1500 rate="" delay=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --mtu) mtu=$2; shift 2 ;;
      --rate) rate=$2; shift 2 ;;
      --delay) delay=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  down
  trap 'echo "netns.sh: up failed, removing what it made" >&2; down' ERR
  ip netns add "$SWITCH"
  ip -n "$SWITCH" link set lo up
  ip -n "$SWITCH" link add br0 type bridge
  ip -n "$SWITCH" link set br0 mtu "$mtu" up
  local i ns
  for i in $(seq 1 "$n"); do
    ns=${PREFIX}h$i
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # both ends are created inside the host's namespace, then one is moved to the switch: no name in the root
    ip -n "$ns" link add eth0 mtu "$mtu" type veth peer name port$i mtu "$mtu"
    ip -n "$ns" link set port$i netns "$SWITCH"
    ip -n "$SWITCH" link set port$i master br0 up
    ip -n "$ns" addr add "$SUBNET.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    if [ -n "$rate" ] || [ -n "$delay" ]; then
      if [ -n "$delay" ]; then
        ip netns exec "$ns" tc qdisc add dev eth0 root handle 1: netem delay "$delay" ${rate:+rate $rate}
      else
        ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$rate" burst 1mb latency 10ms
      fi
    fi
  done
  trap - ERR
  # wait until every bridge port forwards and every host's interface is up (they come up asynchronously)
  local tries=0
  until [ "$(bridge -n "$SWITCH" link show 2>/dev/null | grep -c 'state forwarding')" = "$n" ] && \
        [ "$(for i in $(seq 1 "$n"); do ip -n ${PREFIX}h$i -o link show eth0; done | grep -c 'state UP')" = "$n" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || { down; die "the bridge ports did not come up within 10 s"; }
    sleep 0.1
  done
  echo "netns.sh: $n hosts up (mtu $mtu${rate:+, rate $rate}${delay:+, delay $delay}): $(seq -s ' ' -f "$SUBNET.%g" 1 "$n")"
}

status() {
  ip netns list | grep -E "^${PREFIX}(sw|h[0-9]+)( |$)" || echo "netns.sh: no ${PREFIX}sw / ${PREFIX}h* namespaces"
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) need_root; up "$@" ;;
  down) need_root; down ;;
  status) status ;;
  addr) echo "$SUBNET.${1:?host number}" ;;
  *) echo "usage: $0 up N [--mtu 1500] [--rate 10gbit] [--delay 0us] | down | status | addr I" >&2; exit 2 ;;
esac
