#!/usr/bin/env bash
cd "$(dirname "$0")/../.."  # the repository root
for round in 1 2 3 4; do
  systems=(old new); [ $((round % 2)) = 0 ] && systems=(new old)
  for s in "${systems[@]}"; do
    probe=$("${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    out=$(bench/cluster/probe.sh --layout 4x1 --sizes 64KiB,1MiB --budget 1 --quiet-wait 0 --transport tcp --jar "$BENCH_JARS/benchmarks-$s.jar" 2>/dev/null | grep -v "^bytes")
    while read -r line; do echo "$round,4x1,$s,$probe,$line"; done <<< "$out"
  done
done
