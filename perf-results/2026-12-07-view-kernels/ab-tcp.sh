#!/usr/bin/env bash
cd "$(dirname "$0")/../.."  # the repository root
for round in 1 2 3; do
  for layout in 2x1 4x1; do
    systems=(old new openmpi)
    for k in $(seq 0 $((round - 1))); do systems=("${systems[@]:1}" "${systems[0]}"); done
    for s in "${systems[@]}"; do
      probe=$("${STATE_PROBE:-/tmp/state_probe}" | tail -1)
      case $s in
        old) out=$(bench/cluster/probe.sh --layout $layout --sizes 4KiB,64KiB,1MiB --budget 1 --quiet-wait 0 --transport tcp --jar "$OLD_BENCH_JAR" 2>/dev/null | grep -v "^bytes") ;;
        new) out=$(bench/cluster/probe.sh --layout $layout --sizes 4KiB,64KiB,1MiB --budget 1 --quiet-wait 0 --transport tcp --jar "$NEW_BENCH_JAR" 2>/dev/null | grep -v "^bytes") ;;
        openmpi) out=$(bench/cluster/probe.sh --layout $layout --sizes 4KiB,64KiB,1MiB --budget 1 --quiet-wait 0 --transport openmpi 2>/dev/null | grep -v "^bytes") ;;
      esac
      while read -r line; do echo "$round,$layout,$s,$probe,$line"; done <<< "$out"
    done
  done
done
