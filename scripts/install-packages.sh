#!/usr/bin/env bash
# Installs those of the Debian packages named that are missing, as root; with all of them
# present it only checks. The shared step of scripts/install-deps.sh and
# bench/install-bench-deps.sh.
#
#   scripts/install-packages.sh WHO PACKAGE...    WHO names the caller in its error line
set -euo pipefail

who=$1
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
