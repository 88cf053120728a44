#!/usr/bin/env bash
# Ablation rounds for the fixed cost of a small call (np 2, shm): one scratch jar built from commit 49bacfa
# with ablation.patch applied (JAR), its parts switched off through system properties given to the ranks in
# JAVA_TOOL_OPTIONS. Usage: JAR=... run.sh ROUNDS SIZES VARIANT... where a VARIANT is base or a +-joined list of
#   clock     read the clock every 64th idle pass, not every one
#   board     no status-board enter/leave
#   metrics   no RankMetrics begin/end
#   links     no link-counter publication
#   rec       no flight record
#   counters  no call counters (the histogram and link counters kept)
#   defer     the call counters, histogram and link counters published in the next call's first idle pass
#   touch     the shm reader also loads the next slot's first three lines while it polls the producer position
# Output CSV: round,variant,bytes,p50_us,p99_us,pingpong_ns_before,pingpong_ns_after
rounds=$1; sizes=$2; shift 2
for r in $(seq 1 "$rounds"); do
  for v in "$@"; do
    flags=""
    if [ "$v" != base ]; then
      for part in ${v//+/ }; do flags="$flags -Dabl.$part=true"; done
    fi
    pre=$(flock -x /tmp/ringsync-bench.lock /tmp/state_probe | tail -1 | cut -d, -f2)
    out=$(JAVA_TOOL_OPTIONS="$flags" flock -x /tmp/ringsync-bench.lock java --add-exports \
      java.base/jdk.internal.misc=ALL-UNNAMED -jar "$JAR" bench --np 2 --sizes "$sizes" --columns contract \
      2>/dev/null | grep -v "^#\|^bytes\|Picked\|WARN")
    post=$(flock -x /tmp/ringsync-bench.lock /tmp/state_probe | tail -1 | cut -d, -f2)
    echo "$out" | while IFS=, read -r b t np tr alg it p50 p99 rest; do echo "$r,$v,$b,$p50,$p99,$pre,$post"; done
  done
done
