#!/usr/bin/env bash
# AllReduce float32 SUM between simulated hosts (bench/cluster/cluster.sh): ringsync variants, Gloo and Open MPI over
# TCP, alternated round by round in one session, every run under the exclusive lock /tmp/ringsync-bench.lock after
# waiting for idle CPUs; for each link cap and each layout (hosts x ranks per host).
#
#   bench/cluster/compare-cluster.sh --layouts 2x1,4x1,2x2 --caps none,10gbit,1gbit \
#       --sizes 4KiB,64KiB,1MiB,16MiB --rounds 3 [--systems tcp,gloo,openmpi] [--extra-systems udp@none]
#       [--budget 1] [--mtu 1500] [--out DIR] [--quiet-wait 300]
#
# Systems (add a variant with one line in system_command below):
#   tcp      ringsync NetBench, TcpTransport, explicit endpoints (10.77.0.H:port, one port per rank of a host)
#   udp      ringsync NetBench, AeronTransport over UDP (its driver embedded, its directory on the host's /dev/shm)
#   tcp-auto ringsync as a user's program joins: Communicator.fromEnvironment with RINGSYNC_RANK, _WORLD_SIZE and
#            RINGSYNC_RENDEZVOUS=10.77.0.1:port (rank 0 serves it), RINGSYNC_INTERFACE=eth0; host-aware AllReduce when
#            ranks share a host (the default)
#   tcp-flat the same with RINGSYNC_HIERARCHY=flat (one ring over every rank, ranks of a host talking TCP)
#   tcp-bf16 tcp-auto with RINGSYNC_WIRE=bf16 (float32 crosses the links as bfloat16)
#   gloo     torch.distributed all_reduce, backend gloo, one process per rank started into its host
#            (GLOO_SOCKET_IFNAME=eth0, rendezvous on host1)
#   openmpi  mpirun on host1, orteds started through bench/cluster/rsh, MPI_Allreduce over btl tcp (tcp,self: ranks of
#            one host talk TCP too, as ringsync's flat ring does here), pml ob1, mpi_yield_when_idle 1
# --extra-systems SYSTEM@CAP,... runs a system only under those caps (udp is slow under caps: udp@none).
#
# A layout HxL puts ranks r = 0..H*L-1 on host r/L + 1. Writes DIR/raw/<cap>-h<H>x<L>-round<R>-<system>.csv and
# .stderr (first line: the CPU idle share before the run; then the run's output; last: the CPU share other jobs
# took during the run, bench/cluster/foreign-cpu.py, and the exit status), DIR/machine.txt, then runs summarize-cluster.py DIR
# (combined.csv, summary.md) and the charts (io.ringsync.bench.charts.ClusterCharts). Needs root; removes the
# hosts on exit, also on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
layouts=2x1,4x1 caps=none sizes=4KiB,64KiB,1MiB,16MiB rounds=3 systems=tcp,gloo,openmpi extra="" budget=1 mtu=1500
out="" quiet_wait=300
while [ $# -gt 0 ]; do
  case "$1" in
    --layouts) layouts=$2; shift 2 ;;
    --caps) caps=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --extra-systems) extra=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --mtu) mtu=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quiet-wait) quiet_wait=$2; shift 2 ;;
    *) echo "compare-cluster.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "compare-cluster.sh: needs root (simulated hosts are namespaces); run it with sudo" >&2; exit 1; }
export RINGSYNC_NETNS_PREFIX=${RINGSYNC_NETNS_PREFIX:-ringsync-}
out=${out:-$root/perf-results/$(date -u +%F)-cluster}
mkdir -p "$out/raw"
[ -z "$(ls -A "$out/raw")" ] || { echo "compare-cluster.sh: $out/raw is not empty" >&2; exit 1; }
lock=${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}
jar=$root/bench/target/benchmarks.jar
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package -pl bench -am)
python=${RINGSYNC_PYTHON:-/usr/bin/python3}
rsh=$here/rsh
java=(java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx1g
  -XX:+UseParallelGC -cp "$jar" io.ringsync.bench.NetBench)

# Open MPI, built once outside the timed runs (bench/peers installs it where missing)
need_mpi=0
case ",$systems,$extra" in *openmpi*) need_mpi=1 ;; esac
mpibin=""
if [ "$need_mpi" = 1 ]; then
  "$root/bench/peers/run-openmpi.sh" --prepare >/dev/null
  mpibin=${TMPDIR:-/tmp}/ringsync-peers-$(id -u)/mpi_allreduce
fi

cleanup() { "$here/cluster.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

{
  echo "date: $(date -u '+%F %T') UTC"
  echo "command: $0 --layouts $layouts --caps $caps --sizes $sizes --rounds $rounds --systems $systems${extra:+ --extra-systems $extra} --budget $budget --mtu $mtu --quiet-wait $quiet_wait"
  lscpu | grep -E 'Model name|CPU family|^Model:|^CPU\(s\)' | sed 's/  */ /g'
  echo "kernel: $(uname -r)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "torch: $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)"
  [ "$need_mpi" = 1 ] && echo "open mpi: $(mpirun --version 2>/dev/null | head -1)"
  echo "ringsync commit: $(git -C "$root" rev-parse --short HEAD) ($(git -C "$root" status --porcelain | grep -c . || true) files changed)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  lscpu
} > "$out/machine.txt"

# Before each run, wait (up to --quiet-wait s) until the CPUs were at least 85 % idle over one second.
cpu_idle_percent() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat); sleep 1; read -r -a b < <(grep '^cpu ' /proc/stat)
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / total : 0 ))
}
wait_quiet() {  # sets idle (not a command substitution, so that a signal ends the wait within seconds)
  local deadline=$((SECONDS + quiet_wait))
  while :; do
    idle=$(cpu_idle_percent)
    if [ "$idle" -ge 85 ] || [ "$SECONDS" -ge "$deadline" ]; then return; fi
    sleep 4
  done
}

# system_command SYSTEM RANK NP PER_HOST PORT ENDPOINTS RUN_ID: the words to run for one rank on its host (through
# rsh, which passes no environment: variables go in with env). A ringsync variant of the environment is one more
# line here.
system_command() {
  local system=$1 r=$2 n=$3 per=$4 port=$5 ep=$6 id=$7
  ringsync() {  # TRANSPORT [VAR=VALUE...]
    local transport=$1; shift
    cmd=(env "$@" "${java[@]}" --transport "$transport" --rank "$r" --np "$n" --endpoints "$ep" --sizes "$sizes"
      --budget "$budget" --job-id "$id")
    [ "$transport" = udp ] && cmd+=(--job-dir "/dev/shm/ringsync-cluster-$id-$r")
    return 0
  }
  from_environment() {  # LABEL [VAR=VALUE...]
    local label=$1; shift
    cmd=(env RINGSYNC_RANK="$r" RINGSYNC_WORLD_SIZE="$n" RINGSYNC_RENDEZVOUS="10.77.0.1:$port" RINGSYNC_INTERFACE=eth0
      RINGSYNC_TIMEOUT_MS=60000 "$@" "${java[@]}" --transport env --label "$label" --sizes "$sizes" --budget "$budget")
  }
  case "$system" in
    tcp) ringsync tcp ;;
    tcp-auto) from_environment tcp-auto ;;
    tcp-flat) from_environment tcp-flat RINGSYNC_HIERARCHY=flat ;;
    tcp-bf16) from_environment tcp-bf16 RINGSYNC_WIRE=bf16 ;;
    udp) ringsync udp ;;
    gloo) cmd=(env GLOO_SOCKET_IFNAME=eth0 OMP_NUM_THREADS=1 "$python" "$root/bench/peers/gloo_allreduce.py"
      --np "$n" --sizes "$sizes" --budget "$budget" --rank "$r" --port "$port" --master 10.77.0.1) ;;
    *) echo "compare-cluster.sh: unknown system $system" >&2; return 1 ;;
  esac
}

run_id=0
run() {  # CAP HOSTS PER_HOST ROUND SYSTEM
  local cap=$1 h=$2 per=$3 round=$4 system=$5 n port ep="" r pids=() status=0
  n=$((h * per))
  run_id=$((run_id + 1))
  port=$((30000 + (run_id % 1000) * 20))
  for r in $(seq 0 $((n - 1))); do ep+="${ep:+,}10.77.0.$((r / per + 1)):$((port + 1 + r % per))"; done
  local base="$out/raw/$cap-h${h}x$per-round$round-$system"
  wait_quiet
  echo "cpu idle before the run: $idle %" > "$base.stderr"
  local start=$SECONDS
  # what other jobs took of the CPUs while this run went on (processes outside the simulated hosts)
  python3 "$here/foreign-cpu.py" snapshot "$out/raw/.snapshot"
  if [ "$system" = openmpi ]; then
    local hostlist=""
    for r in $(seq 1 "$h"); do hostlist+="${hostlist:+,}host$r:$per"; done
    timeout 900 "$rsh" host1 mpirun --allow-run-as-root --bind-to none -np "$n" --host "$hostlist" \
      --mca plm_rsh_agent "$rsh" --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include eth0 \
      --mca oob_tcp_if_include eth0 --mca mpi_yield_when_idle 1 \
      "$mpibin" -s "$sizes" -t float32 -b "$budget" > "$base.csv" 2>> "$base.stderr" || status=$?
  else
    local cmd
    for r in $(seq $((n - 1)) -1 0); do
      system_command "$system" "$r" "$n" "$per" "$port" "$ep" "$run_id"
      if [ "$r" = 0 ]; then
        timeout 900 "$rsh" "host$((r / per + 1))" "${cmd[@]}" > "$base.csv" 2>> "$base.stderr" || status=$?
      else
        timeout 900 "$rsh" "host$((r / per + 1))" "${cmd[@]}" > /dev/null 2>> "$base.stderr" &
        pids+=($!)
      fi
    done
    for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  fi
  local foreign
  foreign=$(python3 "$here/foreign-cpu.py" delta "$out/raw/.snapshot" $(seq -f "${RINGSYNC_NETNS_PREFIX}h%g" 1 "$h") \
    "${RINGSYNC_NETNS_PREFIX}sw")
  rm -f "$out/raw/.snapshot"
  echo "$cap h${h}x$per round $round $system: exit $status, $(grep -c '^[0-9]' "$base.csv" || true) rows, $((SECONDS - start)) s, cpu idle before $idle %, $foreign" >&2
  echo "$foreign" >> "$base.stderr"
  echo "exit status: $status" >> "$base.stderr"
  return 0
}
exec 9>>"$lock"

IFS=, read -r -a cap_list <<< "$caps"
IFS=, read -r -a layout_list <<< "$layouts"
for cap in "${cap_list[@]}"; do
  # the systems of this cap: --systems, plus the extra ones named for it
  IFS=, read -r -a system_list <<< "$systems"
  if [ -n "$extra" ]; then
    IFS=, read -r -a extra_list <<< "$extra"
    for e in "${extra_list[@]}"; do [ "${e#*@}" = "$cap" ] && system_list+=("${e%@*}"); done
  fi
  for layout in "${layout_list[@]}"; do
    h=${layout%x*} per=${layout#*x}
    "$here/cluster.sh" up "$h" --mtu "$mtu" $([ "$cap" = none ] || echo "--rate $cap") >&2
    for round in $(seq 1 "$rounds"); do
      order=()
      for i in "${!system_list[@]}"; do order+=("${system_list[$(( (i + round - 1) % ${#system_list[@]} ))]}"); done
      for system in "${order[@]}"; do
        flock -x 9
        run "$cap" "$h" "$per" "$round" "$system"
        flock -u 9
      done
    done
    "$here/cluster.sh" down >&2
  done
done

python3 "$here/summarize-cluster.py" "$out"
java -cp "$jar" io.ringsync.bench.charts.ClusterCharts "$out" || echo "compare-cluster.sh: the charts failed" >&2
