#!/usr/bin/env bash
# Build and run the Open MPI peer: same sizes, statistics and CSV columns as `ringsync bench`.
# Installs Debian's Open MPI when mpicc is missing (needs root or sudo).
#
#   bench/peers/run-openmpi.sh --np 2 --sizes 4KiB,64KiB,1MiB,16MiB [--type float32] [--budget 2]
#   bench/peers/run-openmpi.sh --prepare     # only install and compile, then print the Open MPI version
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/apt-install.sh"
np=2 sizes=4KiB,64KiB,1MiB,16MiB type=float32 budget=2 prepare=0
while [ $# -gt 0 ]; do
  case "$1" in
    --np) np=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --prepare) prepare=1; shift ;;
    *) echo "run-openmpi.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$type" in float32|float64) ;; *) echo "run-openmpi.sh: --type must be float32 or float64, got $type" >&2; exit 2 ;; esac
if ! command -v mpicc >/dev/null 2>&1 || ! command -v mpirun >/dev/null 2>&1; then
  apt_install "Open MPI peer" openmpi-bin libopenmpi-dev
fi
out=${TMPDIR:-/tmp}/ringsync-peers-$(id -u)
mkdir -p "$out"
if [ ! -x "$out/mpi_allreduce" ] || [ "$here/mpi_allreduce.c" -nt "$out/mpi_allreduce" ]; then
  mpicc -O2 -o "$out/mpi_allreduce.tmp.$$" "$here/mpi_allreduce.c" -lm
  mv "$out/mpi_allreduce.tmp.$$" "$out/mpi_allreduce"
fi
if [ "$prepare" = 1 ]; then
  mpirun --version 2>/dev/null | head -1
  exit 0
fi
# --oversubscribe lets 4 ranks share 2 cores; Open MPI then yields while it waits, as it should there.
# Shared memory only (btl self,vader; vader uses CMA single copy where the kernel allows it).
exec mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$np" --mca btl self,vader \
  "$out/mpi_allreduce" -s "$sizes" -t "$type" -b "$budget"
