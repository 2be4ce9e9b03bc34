#!/usr/bin/env bash
# The CDR benchmark, one command: builds a Release zvon into build-cdrbench/ (not the tests),
# then runs bench/cdr/cdr_bench.py: journal replay rate per batch size against PostgreSQL's
# own ceiling for the same statements (psql), the live write delay, and loop lag while every
# insert is stalled with pg_sleep. Prints a table; details in
# build-cdrbench/cdr-bench-runs/<time>/. See docs/PERFORMANCE.md, "CDRs and the database".
#
#   bash bench/cdr/run.sh                 about 6 minutes
#   bash bench/cdr/run.sh --quick         fewer calls, about 2 minutes: checks the bench, its
#                                         figures are too short to compare
#   bash bench/cdr/run.sh --profile       also perf of zvon and postgres during a replay,
#                                         and EXPLAIN ANALYZE of one batch statement
#
# Needs sipp, PostgreSQL's server programs (scripts/install-deps.sh), taskset; perf for
# --profile. Loopback and a unix socket only; every step is bounded, and the script stops
# PostgreSQL, zvon and sipp itself, on failure too.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${ZVON_CDRBENCH_BUILD_DIR:-$root/build-cdrbench}"

for tool in sipp psql taskset; do
  command -v "$tool" >/dev/null || { echo "cdr bench: '$tool' is missing" >&2; exit 1; }
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DZVON_TESTS=OFF >/dev/null
fi
nice cmake --build "$build" >/dev/null || { echo "cdr bench: the Release build failed (cmake --build $build)" >&2; exit 1; }

exec python3 "$here/cdr_bench.py" --build-dir "$build" "$@"
