#!/usr/bin/env bash
# What one 1 MiB AllReduce costs the kernel between simulated hosts: system calls, packets handed to a veth and
# context switches per call and rank, ringsync's tcp against Open MPI over TCP. Each run times calls for 30 s
# (bench/cluster/probe.sh); `perf stat -a` counts 5 s in the middle of the timed calls (ringsync primes its JIT
# first, so its window starts later); calls in the window = 5 s / the run's mean call time. Needs root and perf.
#   perf-results/2026-12-07-tcp-per-call/counts.sh [LAYOUTS] [ROUNDS] > counts.csv
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
probe=$here/../../bench/cluster/probe.sh
layouts=${1:-2x1,4x1}
rounds=${2:-2}
events=syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_read,syscalls:sys_enter_readv
events+=,syscalls:sys_enter_poll,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_sched_yield,net:net_dev_xmit
events+=,context-switches
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "round,layout,system,p50_us,mean_us,write,writev,read,readv,poll,epoll_wait,sched_yield,packets,switches"
for round in $(seq 1 "$rounds"); do
  for layout in ${layouts//,/ }; do
    n=$(( ${layout%x*} * ${layout#*x} ))
    for system in tcp openmpi; do
      # the probe waits for an idle machine and takes the bench lock itself; start counting once it has begun
      "$probe" --layout "$layout" --sizes 1MiB --budget 30 --transport "$system" --quiet-wait 30 \
        > "$work/out" 2> "$work/err" &
      pid=$!
      until grep -q '^probe:' "$work/err" 2>/dev/null; do sleep 0.5; done
      sleep $([ "$system" = tcp ] && echo 22 || echo 12)
      perf stat -a -x, -e "$events" -o "$work/stat" -- sleep 5
      wait "$pid"
      row=$(grep -v '^bytes' "$work/out" | tail -1)
      p50=$(echo "$row" | cut -d, -f7)
      mean=$(echo "$row" | cut -d, -f9)
      python3 - "$work/stat" "$mean" "$n" "$round,$layout,$system,$p50,$mean" <<'PY'
import sys
stat, mean_us, ranks, head = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
counts = {}
for line in open(stat):
    parts = line.strip().split(',')
    if len(parts) > 2 and parts[0].replace('.', '').isdigit():
        counts[parts[2].split(':')[-1]] = float(parts[0])
calls = 5e6 / mean_us
names = ['sys_enter_write', 'sys_enter_writev', 'sys_enter_read', 'sys_enter_readv', 'sys_enter_poll',
         'sys_enter_epoll_wait', 'sys_enter_sched_yield']
per_rank = [counts.get(k, 0) / calls / ranks for k in names]
per_call = [counts.get('net_dev_xmit', 0) / calls, counts.get('context-switches', 0) / calls]
print(head + ',' + ','.join('%.1f' % v for v in per_rank + per_call))
PY
    done
  done
done
