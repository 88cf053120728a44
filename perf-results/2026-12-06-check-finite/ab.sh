#!/usr/bin/env bash
# alternate RINGSYNC_CHECK_FINITE off/on: np 2 shm allReduce 1 MiB float32
cd /work/wt-misuse
for round in 1 2 3 4 5 6; do
  for flag in 0 1; do
    line=$(RINGSYNC_CHECK_FINITE=$flag bin/ringsync bench --np 2 --transport shm --sizes 1MiB --iters 1000 --warmup 200 --format csv 2>/dev/null | grep -v '^#' | grep '^1048576')
    echo "round=$round check_finite=$flag $line"
  done
done
