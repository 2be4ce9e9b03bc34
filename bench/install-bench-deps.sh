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

bash "$(dirname "$0")/../scripts/install-packages.sh" install-bench-deps "${packages[@]}"
# The Debian package enables a system-wide kamailio service; the bench starts its own.
