#!/usr/bin/env bash
# Build and run the Open MPI peer: same sizes, statistics and CSV columns as `ringsync bench`.
# Installs Debian's Open MPI when mpicc is missing (needs root or sudo).
#
#   bench/peers/run-openmpi.sh --np 2 --sizes 4KiB,64KiB,1MiB,16MiB [--type float32] [--budget 1.5]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
np=2 sizes=4KiB,64KiB,1MiB,16MiB type=float32 budget=1.5
while [ $# -gt 0 ]; do
  case "$1" in
    --np) np=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if ! command -v mpicc >/dev/null 2>&1; then
  echo "# installing Open MPI from Debian's packages" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openmpi-bin libopenmpi-dev >&2
fi
out=${TMPDIR:-/tmp}/ringsync-peers
mkdir -p "$out"
if [ ! -x "$out/mpi_allreduce" ] || [ "$here/mpi_allreduce.c" -nt "$out/mpi_allreduce" ]; then
  mpicc -O2 -o "$out/mpi_allreduce" "$here/mpi_allreduce.c" -lm
fi
# --oversubscribe lets 4 ranks share 2 cores; Open MPI then yields while it waits, as it should there.
exec mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$np" --mca btl self,vader \
  "$out/mpi_allreduce" -s "$sizes" -t "$type" -b "$budget"
