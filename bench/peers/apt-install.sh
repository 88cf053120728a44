# Sourced by the peer scripts: apt_install WHAT PACKAGE... installs Debian packages, as root directly or through
# sudo, and otherwise stops with the command to run.
apt_install() {
  local what=$1; shift
  local sudo=""
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "The $what needs the Debian/Ubuntu packages: $*; this machine has no apt-get: install their equivalents" \
      "yourself (or leave this peer out with --peers)." >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
      sudo="sudo"
    else
      echo "The $what needs the packages: $*. Not root and no usable sudo: run" \
        "'apt-get update && apt-get install -y $*' as root, then rerun (or leave this peer out with --peers)." >&2
      exit 1
    fi
  fi
  echo "# installing $* from Debian's packages for the $what (apt-get)" >&2
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >&2
}
