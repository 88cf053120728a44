#!/usr/bin/env bash
# alternate RINGSYNC_CHECK_FINITE off/on: np 2 shm allReduce 1 MiB float32
cd /work/wt-misuse
for round in 5 6 7 8 9 10; do
  for flag in 0 1; do
    line=$(RINGSYNC_CHECK_FINITE=$flag bin/ringsync bench --np 2 --transport shm --sizes 1MiB --iters 2000 --warmup 3000 --format csv 2>/dev/null | grep -v '^#' | grep '^1048576')
    echo "round=$round check_finite=$flag $line"
  done
done
