#!/usr/bin/env bash
# The dialplan benchmark: builds a Release zvon with its unit tests into build-bench-dialplan/
# and runs the hidden test "[dialplan-bench]" (tests/unit/bench_dialplan.cpp): matches/s over
# 100,000 extensions, priorities/s of the engine, compile and reload time of a 100,000-line
# file and its memory. Figures go to docs/PERFORMANCE.md, section "Dialplan".
#
#   bash bench/dialplan.sh               figures, each with its reference (priorities by the
#                                        worker loop's CPU clock, the rest by the wall clock)
#   bash bench/dialplan.sh --callgrind   instructions per lookup, per priority and per compile
#                                        (valgrind; 20,000 lookups of each kind; one run per
#                                        kind of priority)
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
if [ "${1:-}" != "--callgrind" ]; then
  "$build/bin/zvon-unit" "[dialplan-bench]" | grep "dialplan bench"
  exit 0
fi
lookups=20000
out="$build/callgrind.dialplan"
# Inclusive instructions of the functions that do one kind of work each (the first line that
# names one is the function itself; later ones are its callers' and callees' lines).
per_function() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk -v n="$lookups" -v kind="$2" '
    function per(label, total, count) {
      if (!seen[label]++) printf "callgrind: %-58s %12.0f instructions\n", label, total / count
    }
    { gsub(",", "", $1) }
    /match_phase<0>/ { per("match, exact extension (per lookup)", $1, n) }
    /match_phase<1>/ { per("match, one of 1,000 patterns (per lookup)", $1, n) }
    /match_phase<2>/ { per("match, no extension (per lookup)", $1, n) }
    /lookup_floor/   { per("reference: std::unordered_map lookup (per lookup)", $1, n) }
    /zvon::compile_dialplan_file/ { per("compile of the 100,000-line file (per compile; 2 runs)", $1, 2) }
    /zvon::DialplanEngineImpl::steps\(.*\[clone \.actor\]/ { per("engine steps, " kind " priorities (per priority; 160,000)", $1, 160000) }'
}
# One run per kind of priority, so that each kind's count per priority stands alone.
for kind in expanded literal; do
  ZVON_DIALPLAN_BENCH_LOOKUPS=$lookups ZVON_DIALPLAN_BENCH_KIND=$kind valgrind --tool=callgrind \
    --callgrind-out-file="$out.$kind" "$build/bin/zvon-unit" "[dialplan-bench]" >/dev/null 2>&1
done
per_function "$out.expanded" 'NoOp(${EXTEN})' | grep -v "engine steps" || true
per_function "$out.expanded" 'NoOp(${EXTEN})' | grep "engine steps"
per_function "$out.literal" 'NoOp(step), literal' | grep "engine steps"
