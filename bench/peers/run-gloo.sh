#!/usr/bin/env bash
# Run the Gloo peer: torch.distributed all_reduce, backend gloo, TCP over loopback, with the same sizes,
# statistics and CSV columns as `ringsync bench` (see gloo_allreduce.py). Installs Debian's python3-torch
# when the system python3 has no torch (needs root or sudo).
#
#   bench/peers/run-gloo.sh --np 2 --sizes 4KiB,64KiB,1MiB,16MiB [--type float32] [--budget 2]
#   bench/peers/run-gloo.sh --prepare      # only install, then print the torch version
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/apt-install.sh"
# Debian's python3-torch installs into the system interpreter; a pyenv/venv python3 earlier on the PATH has no
# torch, so the system one is named explicitly (RINGSYNC_PYTHON overrides it).
python=${RINGSYNC_PYTHON:-/usr/bin/python3}
prepare=0 args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare) prepare=1; shift ;;
    --np|--sizes|--type|--budget|--iters|--warmup|--timeout|--port) args+=("$1" "$2"); shift 2 ;;
    *) echo "run-gloo.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
has_torch() { [ -x "$python" ] && "$python" -c 'import torch.distributed as d; assert d.is_gloo_available()' 2>/dev/null; }
if ! has_torch; then
  if [ -n "${RINGSYNC_PYTHON:-}" ]; then
    echo "run-gloo.sh: $python has no torch with gloo; install it there, or unset RINGSYNC_PYTHON to use Debian's python3-torch" >&2
    exit 1
  fi
  apt_install "Gloo peer (PyTorch)" python3-torch
  has_torch || { echo "run-gloo.sh: python3-torch is installed but '$python -c \"import torch\"' still fails" >&2; exit 1; }
fi
if [ "$prepare" = 1 ]; then
  "$python" -c 'import torch; print(torch.__version__)'
  exit 0
fi
export OMP_NUM_THREADS=1 GLOO_SOCKET_IFNAME=lo
exec "$python" "$here/gloo_allreduce.py" "${args[@]}"
