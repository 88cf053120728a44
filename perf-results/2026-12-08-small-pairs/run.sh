#!/usr/bin/env bash
# Two ranks: the small-vector path against the ring and the direct mode, alternated, one jar, the path forced by the
# settings (RINGSYNC_SMALL_MAX_BYTES, RINGSYNC_SHM_DIRECT_MIN_BYTES). Prints CSV rows prefixed with round and mode,
# and the host state (bench/peers/state_probe.c: copy GB/s, cross-core ping-pong ns) after each round.
#   perf-results/2026-12-08-small-pairs/run.sh shm|shared|tcp|udp ROUNDS
# shm:    bin/ringsync bench --np 2 and 4, 32 KiB to 1 MiB, modes ring / small / direct
# shared: the same with --shared (the vector in shared memory, read in place by the direct mode), np 2
# tcp, udp: bench/cluster/probe.sh --layout 2x1 (two simulated hosts, needs root), modes ring / small
# Hold the bench lock (flock -x /tmp/ringsync-bench.lock) and let nothing else run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
what=${1:?shm, shared, tcp or udp} rounds=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -pthread -o "$tmp/state_probe" "$root/bench/peers/state_probe.c"
cd "$root"
settings() # mode -> environment words
{
  case $1 in
    ring) echo "RINGSYNC_SMALL_MAX_BYTES=0 RINGSYNC_SHM_DIRECT_MIN_BYTES=-1" ;;
    small) echo "RINGSYNC_SMALL_MAX_BYTES=1048576" ;;
    direct) echo "RINGSYNC_SMALL_MAX_BYTES=16384 RINGSYNC_SHM_DIRECT_MIN_BYTES=32768" ;;
  esac
}
for round in $(seq "$rounds"); do
  case $what in
    shm|shared)
      nps="2 4" shared=""
      [ "$what" = shared ] && nps=2 shared=--shared
      for np in $nps; do
        for mode in ring small direct; do
          # shellcheck disable=SC2046
          env $(settings $mode) bin/ringsync bench --np "$np" $shared --sizes 32KiB,64KiB,128KiB,256KiB,512KiB,1MiB \
            --columns contract 2>/dev/null | grep -v '^bytes\|^#' | sed "s/^/$round,$mode,/"
        done
      done ;;
    tcp|udp)
      for mode in ring small; do
        bench/cluster/probe.sh --layout 2x1 --sizes 64KiB,256KiB,512KiB,1MiB --budget 1 --quiet-wait 20 \
          --transport "$what" --env "$(settings $mode | cut -d' ' -f1)" 2>/dev/null | grep -v '^bytes' |
          sed "s/^/$round,$mode,/"
      done ;;
    *) echo "run.sh: shm, shared, tcp or udp, got '$what'" >&2; exit 2 ;;
  esac
  echo "# state after round $round (copy_GBps,pingpong_ns,lost_pct): $("$tmp/state_probe" | tail -1)"
done
