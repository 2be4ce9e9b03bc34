#!/usr/bin/env bash
# What the benchmark (bench/run.sh) needs beyond scripts/install-deps.sh, as root. Kept apart
# so the test suite and CI stay light. Idempotent.
set -euo pipefail

packages=(
  kamailio     # the reference: a transaction-stateful SIP proxy in the same run
  tcpdump      # post-dial delay from kernel timestamps on loopback
  linux-perf   # profiles of what limits each figure (bench/run.sh --profile)
  valgrind     # callgrind, where perf cannot sample
  util-linux   # taskset
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-bench-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian package enables a system-wide kamailio service; the bench starts its own.
