#!/usr/bin/env bash
# The p50 and mean (us) of one 1 MiB float32 SUM run of SYSTEM (tcp, udp, openmpi, gloo) between simulated hosts laid
# out as LAYOUT (2x1, 4x1, ...), through probe.sh (one second of calls, after waiting for idle CPUs): prints "p50,mean",
# or "," when the run printed no row. For scripts that alternate bare programs with ringsync and its peers.
#   bench/cluster/probe-p50.sh SYSTEM LAYOUT [JAR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
system=$1 layout=$2
jar=${3:-$here/../target/benchmarks.jar}
line=$("$here/probe.sh" --layout "$layout" --sizes 1MiB --budget 1 --quiet-wait 20 --transport "$system" \
  --jar "$jar" 2>/dev/null | grep -m1 1048576 || true)
IFS=, read -r _ _ _ _ _ _ p50 _ mean _ <<<"$line"
echo "${p50:-},${mean:-}"
