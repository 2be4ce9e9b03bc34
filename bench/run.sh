#!/usr/bin/env bash
# The zvon benchmark, one command: builds a Release zvon into build-bench/ (not the tests),
# then runs bench/bench.py: setup rate, concurrent calls with media, registration rate, with
# Kamailio as the reference in the same run. Prints a table; details in
# build-bench/bench-runs/<time>/. See docs/PERFORMANCE.md.
#
#   bash bench/run.sh            full run, about 15 minutes
#   bash bench/run.sh --quick    short steps and low counts, under 3 minutes
#   bash bench/run.sh --profile  perf profiles of zvon and Kamailio under load
#   bash bench/run.sh --callgrind  instructions per call (zvon, Kamailio) and per relayed RTP
#                                  packet, counted by valgrind: immune to other work on the machine
#   bash bench/run.sh --media      relayed and G.711<->Opus transcoded calls at 100, 500, 1000
#                                  (--quick: 50, 100), beside libopus's own cost in the same run;
#                                  about 10 minutes (--quick: 2)
#
# Needs the packages of bench/install-bench-deps.sh (kamailio, tcpdump, linux-perf, valgrind).
# Loopback only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${ZVON_BENCH_BUILD_DIR:-$root/build-bench}"

for tool in sipp kamailio tcpdump taskset; do
  command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing: run bench/install-bench-deps.sh as root" >&2; exit 1; }
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DZVON_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)" >/dev/null || { echo "bench: the Release build failed (cmake --build $build)" >&2; exit 1; }

# Thousands of calls hold thousands of sockets (RTP, RTCP) in zvon and in sipp.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec python3 "$here/bench.py" --build-dir "$build" "$@"
