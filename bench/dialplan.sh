#!/usr/bin/env bash
# The dialplan benchmark: builds a Release zvon with its unit tests into build-bench-dialplan/
# and runs the hidden test "[dialplan-bench]" (tests/unit/bench_dialplan.cpp): matches/s over
# 100,000 extensions, priorities/s of the engine, compile and reload time of a 100,000-line
# file and its memory. Figures go to docs/PERFORMANCE.md, section "Dialplan".
#
#   bash bench/dialplan.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${ZVON_DIALPLAN_BENCH_BUILD_DIR:-$root/build-bench-dialplan}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target zvon-unit app_answer app_goto app_hangup app_wait app_dial app_set \
  app_verbose app_gotoif app_indications >/dev/null
"$build/bin/zvon-unit" "[dialplan-bench]" | grep "dialplan bench"
