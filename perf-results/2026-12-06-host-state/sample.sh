#!/usr/bin/env bash
# Samples the host's state beside ringsync's 1 MiB time, to choose compare.sh's state probe (issue 16).
#
#   perf-results/2026-12-06-host-state/sample.sh SECONDS OUT.csv [CYCLES]    (from the repository root)
#
# Every ~10 s until SECONDS have passed, under `flock -x /tmp/ringsync-bench.lock` for the whole sample
# (CYCLES samples, default 1, per hold of the lock, when other jobs queue for it):
# the probes of bench/peers/state_probe.c (64 MiB memcpy GB/s, cross-core ping-pong ns and the share of it
# lost to stalls), then
# `bin/ringsync bench --np 2 --sizes 1MiB` (shm), the probes again, then Open MPI's 1 MiB run
# (bench/peers/run-openmpi.sh --budget 1). Also the load average and the cpus' steal share (/proc/stat)
# over the sample. One CSV row per sample.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:?seconds}; csv=${2:?out.csv}; cycles=${3:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gcc -O2 -pthread -o "$tmp/state_probe" "$root/bench/peers/state_probe.c"
"$root/bench/peers/run-openmpi.sh" --prepare > /dev/null
# cpu jiffies: total and steal, from the aggregate line of /proc/stat
jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat; }
p50() { awk -F, 'NR == 2 { print $7 "," $8 }'; }
[ -s "$csv" ] || echo "utc,load1,load5,load15,copy_GBps_before_ringsync,pingpong_ns_before_ringsync,lost_pct_before_ringsync,ringsync_p50_us,ringsync_p99_us,copy_GBps_before_openmpi,pingpong_ns_before_openmpi,lost_pct_before_openmpi,openmpi_p50_us,openmpi_p99_us,steal_pct" > "$csv"
end=$(( $(date +%s) + seconds ))
while [ "$(date +%s)" -lt "$end" ]; do
  exec 9> /tmp/ringsync-bench.lock; flock -x 9
  for cycle in $(seq 1 "$cycles"); do
    start=$(date +%s)
    read -r t0 s0 < <(jiffies)
    load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)
    probe_a=$("$tmp/state_probe" all 9>&- | tail -1)
    rs=$("$root/bin/ringsync" bench --np 2 --sizes 1MiB --columns contract 2>/dev/null 9>&- | p50)
    probe_b=$("$tmp/state_probe" all 9>&- | tail -1)
    om=$("$root/bench/peers/run-openmpi.sh" --np 2 --sizes 1MiB --budget 1 2>/dev/null 9>&- | p50)
    read -r t1 s1 < <(jiffies)
    steal=$(awk -v a="$((t1 - t0))" -v b="$((s1 - s0))" 'BEGIN { printf "%.1f", (a > 0 ? 100 * b / a : 0) }')
    echo "$(date -u +%H:%M:%S),$load,$probe_a,$rs,$probe_b,$om,$steal" | tee -a "$csv"
    [ "$cycle" = "$cycles" ] || sleep $(( 10 - ($(date +%s) - start) > 0 ? 10 - ($(date +%s) - start) : 0 ))
  done
  flock -u 9; exec 9>&-
  sleep 5
done
