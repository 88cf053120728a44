#!/usr/bin/env bash
# AllReduce float32 SUM between simulated hosts (bench/cluster/netns.sh: one network namespace per host, veth on a
# bridge), one rank per host: ringsync over tcp, ringsync over Aeron udp and Gloo through torch, alternated round by
# round in one session, each run under the exclusive lock /tmp/ringsync-bench.lock.
#
#   bench/cluster/compare-netns.sh --np 2,4 --sizes 4KiB,64KiB,1MiB,16MiB --rounds 3 \
#       [--systems tcp,udp,gloo] [--budget 2] [--mtu 1500] [--rate 10gbit] [--out DIR] [--quiet-wait 300]
#
# Systems: tcp (TcpTransport, the engine's own idle strategy), tcp-epoll (TcpTransport, waiting in its InboundWaiter
# after 64 idle rounds: see NetBench), tcp-mac (a job secret: every frame tagged), tcp-tls (a job secret and
# RINGSYNC_TLS=1: TLS 1.3 on every connection), udp (AeronTransport UDP, embedded invoker driver), gloo (torch.distributed,
# backend gloo; needs Debian's python3-torch). Writes DIR/raw/*.csv (each run's rows), DIR/raw/*.stderr,
# DIR/combined.csv (round,system + the columns of ringsync bench), DIR/summary.md (medians and ratios) and
# DIR/machine.txt. Needs root for the namespaces; removes them on exit, also on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
nps=2 sizes=4KiB,64KiB,1MiB,16MiB rounds=3 systems=tcp,udp,gloo budget=2 mtu=1500 rate="" out="" quiet_wait=300
while [ $# -gt 0 ]; do
  case "$1" in
    --np) nps=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --mtu) mtu=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quiet-wait) quiet_wait=$2; shift 2 ;;
    *) echo "compare-netns.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "compare-netns.sh: needs root for network namespaces" >&2; exit 1; }
out=${out:-$root/perf-results/$(date -u +%F)-tcp-netns}
mkdir -p "$out/raw"
[ -z "$(ls -A "$out/raw")" ] || { echo "compare-netns.sh: $out/raw is not empty" >&2; exit 1; }
lock=${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}
jar=$root/bench/target/benchmarks.jar
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package)
java=(java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx1g
  -XX:+UseParallelGC -cp "$jar" io.ringsync.bench.NetBench)
python=${RINGSYNC_PYTHON:-/usr/bin/python3}
cleanup() { "$here/netns.sh" down || true; }
trap cleanup EXIT

{
  echo "date: $(date -u '+%F %T') UTC"
  echo "command: $0 --np $nps --sizes $sizes --rounds $rounds --systems $systems --budget $budget --mtu $mtu${rate:+ --rate $rate}"
  lscpu | grep -E 'Model name|CPU family|^Model:|^CPU\(s\)' | sed 's/  */ /g'
  echo "kernel: $(uname -r)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "torch: $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)"
  echo "ringsync commit: $(git -C "$root" rev-parse --short HEAD) ($(git -C "$root" status --porcelain | grep -c . || true) files changed)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.txt"

# Other work on a shared machine turns every wait into a scheduler time slice: before each run, wait (up to
# --quiet-wait seconds) until the CPUs were at least 85 % idle over one second, and record what was found.
cpu_idle_percent() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat); sleep 1; read -r -a b < <(grep '^cpu ' /proc/stat)
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / total : 0 ))
}
wait_quiet() {
  local deadline=$((SECONDS + quiet_wait)) idle
  while :; do
    idle=$(cpu_idle_percent)
    if [ "$idle" -ge 85 ] || [ "$SECONDS" -ge "$deadline" ]; then echo "$idle"; return; fi
    sleep 4
  done
}

run_id=0
run() {  # np round system
  local n=$1 round=$2 system=$3 port ep="" r pids=() status=0
  run_id=$((run_id + 1))
  port=$((41000 + run_id * 10))
  for r in $(seq 0 $((n - 1))); do ep+="${ep:+,}10.77.0.$((r + 1)):$port"; done
  local base="$out/raw/np$n-round$round-$system"
  local idle
  idle=$(wait_quiet)
  echo "cpu idle before the run: $idle %" > "$base.stderr"
  for r in $(seq $((n - 1)) -1 0); do
    local host=ringsync-h$((r + 1)) cmd
    case "$system" in
      tcp|tcp-epoll) cmd=("${java[@]}" --transport tcp --wait "$([ "$system" = tcp-epoll ] && echo epoll || echo none)" \
        --rank "$r" --np "$n" --endpoints "$ep" --sizes "$sizes" --budget "$budget" --job-id "$run_id") ;;
      # the protection a job secret buys: a tag on every frame (tcp-mac), or TLS 1.3 on every connection (tcp-tls)
      tcp-mac|tcp-tls) cmd=(env RINGSYNC_JOB_SECRET="netns-bench-$run_id" \
        RINGSYNC_TLS="$([ "$system" = tcp-tls ] && echo 1 || echo 0)" "${java[@]}" --transport tcp --wait none \
        --rank "$r" --np "$n" --endpoints "$ep" --sizes "$sizes" --budget "$budget" --job-id "$run_id") ;;
      udp) cmd=("${java[@]}" --transport udp --rank "$r" --np "$n" --endpoints "$ep" --sizes "$sizes" \
        --budget "$budget" --job-id "$run_id" --job-dir "/dev/shm/ringsync-netns-$run_id-$r") ;;
      gloo) cmd=(env GLOO_SOCKET_IFNAME=eth0 OMP_NUM_THREADS=1 "$python" "$root/bench/peers/gloo_allreduce.py" \
        --np "$n" --sizes "$sizes" --budget "$budget" --rank "$r" --port "$port" --master 10.77.0.1) ;;
      *) echo "unknown system $system" >&2; return 1 ;;
    esac
    if [ "$r" = 0 ]; then
      timeout 900 ip netns exec "$host" "${cmd[@]}" > "$base.csv" 2>> "$base.stderr" || status=$?
    else
      timeout 900 ip netns exec "$host" "${cmd[@]}" > /dev/null 2>> "$base.stderr" &
      pids+=($!)
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  rm -rf /dev/shm/ringsync-netns-"$run_id"-* 2>/dev/null || true
  echo "np $n round $round $system: exit $status, $(grep -c '^[0-9]' "$base.csv" || true) rows, cpu idle before $idle %" >&2
  return 0
}
exec 9>>"$lock"

IFS=, read -r -a np_list <<< "$nps"
IFS=, read -r -a system_list <<< "$systems"
for n in "${np_list[@]}"; do
  "$here/netns.sh" up "$n" --mtu "$mtu" ${rate:+--rate "$rate"}
  for round in $(seq 1 "$rounds"); do
    # rotate the order each round so that no system always runs first
    order=()
    for i in "${!system_list[@]}"; do order+=("${system_list[$(( (i + round - 1) % ${#system_list[@]} ))]}"); done
    for system in "${order[@]}"; do
      # every timed run holds the machine's benchmark lock, so cooperating jobs do not run meanwhile
      flock -x 9
      run "$n" "$round" "$system"
      flock -u 9
    done
  done
  "$here/netns.sh" down
done

python3 "$here/summarize.py" "$out"
