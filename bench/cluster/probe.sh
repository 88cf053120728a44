#!/usr/bin/env bash
# One NetBench run between simulated hosts, for looking into a case: every rank through rsh, optionally one rank
# under a wrapper (strace -c -f, perf stat, ...), under the bench lock after waiting for idle CPUs. Uses a host set of
# its own (RINGSYNC_NETNS_PREFIX=ringsync-probe-), brought up and removed by this script.
#
#   bench/cluster/probe.sh --layout 4x1 --sizes 16MiB [--cap 1gbit] [--budget 1] [--transport tcp|udp|gloo|openmpi]
#       [--env 'RINGSYNC_CHUNK_BYTES=131072 ...'] [--args '--window 8388608'] [--wrap-rank 1]
#       [--wrap 'strace -c -f -o /tmp/x'] [--classes DIR] [--jar FILE] [--mpi BINARY] [--quiet-wait 120]
#       [--pin] [--rps CPUMASK] [--tcp-counters]
#
# With --transport openmpi, --args are more mpirun options (for example '--mca coll_tuned_use_dynamic_rules 1 --mca
# coll_tuned_allreduce_algorithm 4' for Open MPI's ring). --classes puts a directory of classes before benchmarks.jar (a NetBench compiled on the side); --jar runs another
# benchmarks.jar instead of bench/target's (a kept copy of an older commit, to alternate old and new); --mpi names the
# mpi_allreduce binary (default: the one bench/peers/run-openmpi.sh builds). --pin runs ringsync rank r on CPU
# r mod (CPUs) with taskset; --rps sets the receive packet steering mask of every veth end (a flow then stays on one
# CPU, as a NIC's receive-side scaling keeps it on one queue); --tcp-counters prints host 2's TCP counters (segments,
# retransmits, DSACKs, out-of-order queueing) on stderr after the run. Prints rank 0's CSV rows on stdout; the
# wrapper's output goes where its own options say.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
layout=4x1 sizes=16MiB cap=none budget=1 transport=tcp env_words="" args="" wrap_rank=-1 wrap="" quiet_wait=120
classes="" jar="" pin=0 rps="" tcp_counters=0 mpibin=${TMPDIR:-/tmp}/ringsync-peers-$(id -u)/mpi_allreduce
while [ $# -gt 0 ]; do
  case "$1" in
    --layout) layout=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --cap) cap=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --transport) transport=$2; shift 2 ;;
    --env) env_words=$2; shift 2 ;;
    --args) args=$2; shift 2 ;;
    --wrap-rank) wrap_rank=$2; shift 2 ;;
    --wrap) wrap=$2; shift 2 ;;
    --quiet-wait) quiet_wait=$2; shift 2 ;;
    --classes) classes=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --mpi) mpibin=$2; shift 2 ;;
    --pin) pin=1; shift ;;
    --rps) rps=$2; shift 2 ;;
    --tcp-counters) tcp_counters=1; shift ;;
    *) echo "probe.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "probe.sh: needs root (simulated hosts are namespaces)" >&2; exit 1; }
export RINGSYNC_NETNS_PREFIX=ringsync-probe-
h=${layout%x*} per=${layout#*x} n=$((h * per))
jar=${jar:-$root/bench/target/benchmarks.jar}
[ -f "$jar" ] || { echo "probe.sh: no $jar (build with: mvn -q -DskipTests package -pl cli,bench -am)" >&2; exit 1; }
cleanup() { "$here/cluster.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
"$here/cluster.sh" up "$h" $([ "$cap" = none ] || echo "--rate $cap") >/dev/null
set_rps() {  # namespace, glob of receive queues
  ip netns exec "$1" sh -c "for q in $2; do echo $rps > \$q; done"
}
if [ -n "$rps" ]; then
  for i in $(seq 1 "$h"); do set_rps "${RINGSYNC_NETNS_PREFIX}h$i" "/sys/class/net/eth0/queues/rx-*/rps_cpus"; done
  set_rps "${RINGSYNC_NETNS_PREFIX}sw" "/sys/class/net/port*/queues/rx-*/rps_cpus"
fi
tcp_counters() {
  [ "$tcp_counters" = 1 ] || return 0
  ip netns exec "${RINGSYNC_NETNS_PREFIX}h2" nstat -a -s 2>/dev/null |
    grep -E "TcpInSegs|TcpOutSegs|TcpRetransSegs|DSACK|OFOQueue|SpuriousRtx" |
    awk '{printf "%s %s; ", $1, $2} END {print ""}' >&2
}
ncpu=$(nproc)
port=$((45000 + RANDOM % 1000 * 10))
ep=""
for r in $(seq 0 $((n - 1))); do ep+="${ep:+,}10.77.0.$((r / per + 1)):$((port + 1 + r % per))"; done
idle_percent() {
  local a b total=0 i
  read -r -a a < <(grep '^cpu ' /proc/stat); sleep 1; read -r -a b < <(grep '^cpu ' /proc/stat)
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / total : 0 ))
}
exec 9>>"${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}"
deadline=$((SECONDS + quiet_wait))
while idle=$(idle_percent); [ "$idle" -lt 85 ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 3; done
flock -x 9
echo "probe: $layout cap $cap $transport env [$env_words] args [$args] wrap rank $wrap_rank [$wrap], cpu idle before $idle %" >&2
pids=()
status=0
if [ "$transport" = openmpi ]; then
  hostlist=""
  for i in $(seq 1 "$h"); do hostlist+="${hostlist:+,}host$i:$per"; done
  timeout 600 "$here/rsh" host1 mpirun --allow-run-as-root --bind-to none -np "$n" --host "$hostlist" \
    --mca plm_rsh_agent "$here/rsh" --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include eth0 \
    --mca oob_tcp_if_include eth0 --mca mpi_yield_when_idle 1 $args "$mpibin" -s "$sizes" -t float32 -b "$budget" || status=$?
  tcp_counters
  flock -u 9
  exit "$status"
fi
for r in $(seq $((n - 1)) -1 0); do
  if [ "$transport" = gloo ]; then
    cmd="env GLOO_SOCKET_IFNAME=eth0 OMP_NUM_THREADS=1 ${RINGSYNC_PYTHON:-/usr/bin/python3}"
    cmd+=" $root/bench/peers/gloo_allreduce.py --np $n --sizes $sizes --budget $budget --rank $r --port $port"
    cmd+=" --master 10.77.0.1"
  else
    pinned=""
    [ "$pin" = 1 ] && pinned="taskset -c $((r % ncpu))"
    cmd="env $env_words $pinned java"
    cmd+=" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector"
    cmd+=" -Xmx1g -XX:+UseParallelGC -cp ${classes:+$classes:}$jar io.ringsync.bench.NetBench --transport $transport"
    cmd+=" --rank $r --np $n --endpoints $ep --sizes $sizes --budget $budget --job-id $port $args"
    [ "$transport" = udp ] && cmd+=" --job-dir /dev/shm/ringsync-probe-$port-$r"
  fi
  [ "$r" = "$wrap_rank" ] && cmd="$wrap $cmd"
  if [ "$r" = 0 ]; then
    timeout 600 "$here/rsh" "host$((r / per + 1))" "$cmd" 2> >(grep -v -e incubator -e '^NetBench' >&2) || status=$?
  else
    timeout 600 "$here/rsh" "host$((r / per + 1))" "$cmd" > /dev/null 2> >(grep -v incubator >&2) &
    pids+=($!)
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
tcp_counters
flock -u 9
exit "$status"
