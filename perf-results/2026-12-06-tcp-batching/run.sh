#!/usr/bin/env bash
# Alternate Open MPI (TCP BTL), an older ringsync benchmarks.jar and the current one between two simulated hosts
# (network namespaces over veth, MTU 1500), one rank per host, rounds in rotating order. Needs root and the peers
# that bench/peers/run-openmpi.sh builds.
#
#   perf-results/2026-12-06-tcp-batching/run.sh OLD_BENCHMARKS_JAR [ROUNDS] [SIZES] [BUDGET_S] > raw.txt
#
# Prints "round variant csv-row" lines (the probe's NetBench / mpi_allreduce rows: bytes,...,p50_us,p99_us,...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
old=${1:?old benchmarks.jar}
rounds=${2:-3} sizes=${3:-4KiB,64KiB,1MiB} budget=${4:-2}
probe="$root/bench/cluster/probe.sh --layout 2x1 --sizes $sizes --quiet-wait 0 --budget $budget"
for r in $(seq 1 "$rounds"); do
  case $((r % 3)) in
    1) order="openmpi old new" ;;
    2) order="old new openmpi" ;;
    0) order="new openmpi old" ;;
  esac
  for v in $order; do
    case $v in
      openmpi) out=$($probe --transport openmpi 2>/dev/null) ;;
      old) out=$($probe --transport tcp --jar "$old" 2>/dev/null) ;;
      new) out=$($probe --transport tcp 2>/dev/null) ;;
    esac
    echo "$out" | grep -E '^[0-9]' | sed "s/^/$r $v /"
  done
done
