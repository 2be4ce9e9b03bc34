// The dialplan benchmark (hidden: run by bench/dialplan.sh as `zvon-unit "[dialplan-bench]"`,
// in a Release build). Prints matches/s over 100,000 extensions, priorities/s of a
// 10,000-priority extension run by the real engine, and the time and memory of compiling
// and reloading a 100,000-line file. Asserts only that the work was done.
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <unordered_map>
#include <random>

#include "dialplan/dialplan_compiler.h"
#include "dialplan_golden.h"

using namespace zvon;
using Clock = std::chrono::steady_clock;

namespace {

long rss_kb() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// 99,000 exact extensions and 1,000 patterns in one context: 100,000 lines.
std::string big_dialplan() {
  std::string text = "[big]\n";
  for (int i = 0; i < 99000; ++i) text += "exten => " + std::to_string(2000000 + i) + ",1,NoOp()\n";
  for (int i = 0; i < 1000; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "exten => _9%03dXXX,1,NoOp()\n", i);
    text += buf;
  }
  return text;
}

// One function per kind of lookup, so that callgrind's inclusive count of each, divided by
// the number of lookups, is the instructions per lookup (bench/dialplan.sh --callgrind).
template <int Kind>
__attribute__((noinline)) size_t match_phase(const CompiledDialplan& plan,
                                             const std::vector<std::string>& numbers, size_t n) {
  size_t found = 0;
  for (size_t i = 0; i < n; ++i) found += plan.match("big", numbers[i & 4095]) != nullptr;
  return found;
}

__attribute__((noinline)) size_t lookup_floor(const std::unordered_map<std::string, int>& map,
                                              const std::vector<std::string>& numbers, size_t n) {
  size_t found = 0;
  for (size_t i = 0; i < n; ++i) found += map.find(numbers[i & 4095]) != map.end();
  return found;
}

}  // namespace

TEST_CASE("dialplan bench: matching, priorities, reload", "[.][dialplan-bench]") {
  std::string text = big_dialplan();
  auto path = std::filesystem::temp_directory_path() / ("zvon-bench-" + std::to_string(getpid()) + ".conf");
  std::ofstream(path) << text;

  long rss0 = rss_kb();
  auto t0 = Clock::now();
  auto compiled = compile_dialplan_file(path);
  double compile_s = seconds_since(t0);
  long rss1 = rss_kb();
  REQUIRE(compiled.ok());
  const CompiledDialplan& plan = *compiled.plan;
  REQUIRE(plan.extension_count() == 100000);

  // ZVON_DIALPLAN_BENCH_LOOKUPS: fewer lookups, for a run under callgrind (bench/dialplan.sh
  // --callgrind); the instruction counts per lookup stay the same.
  const size_t lookups = std::getenv("ZVON_DIALPLAN_BENCH_LOOKUPS")
                             ? std::strtoul(std::getenv("ZVON_DIALPLAN_BENCH_LOOKUPS"), nullptr, 10)
                             : 2000000;
  REQUIRE(lookups > 0);
  std::mt19937 rng(42);
  std::vector<std::string> exact, pattern, miss;
  for (int i = 0; i < 4096; ++i) {
    exact.push_back(std::to_string(2000000 + rng() % 99000));
    char buf[16];
    std::snprintf(buf, sizeof buf, "9%03u%03u", unsigned(rng() % 1000), unsigned(rng() % 1000));
    pattern.push_back(buf);
    miss.push_back(std::to_string(5000000 + rng() % 99000));
  }
  auto run = [&](auto phase, const std::vector<std::string>& numbers, size_t n) {
    auto start = Clock::now();
    size_t found = phase(plan, numbers, n);
    double s = seconds_since(start);
    return std::pair<double, size_t>(double(n) / s, found);
  };
  // The floor of an exact match: a std::unordered_map lookup of the same keys, same loop.
  std::unordered_map<std::string, int> floor_map;
  for (int i = 0; i < 99000; ++i) floor_map.emplace(std::to_string(2000000 + i), i);
  auto f0 = Clock::now();
  size_t floor_found = lookup_floor(floor_map, exact, lookups);
  double floor_rate = double(lookups) / seconds_since(f0);
  CHECK(floor_found == lookups);
  auto [exact_rate, exact_found] = run(match_phase<0>, exact, lookups);
  auto [pattern_rate, pattern_found] = run(match_phase<1>, pattern, lookups);
  auto [miss_rate, miss_found] = run(match_phase<2>, miss, lookups);
  CHECK(exact_found == lookups);
  CHECK(pattern_found == lookups);
  CHECK(miss_found == 0);

  // The engine: one call through 10,000 NoOp priorities, five times; with and without ${}.
  std::string steps = "[t]\nexten => 1,1,NoOp()\n";
  for (int i = 1; i < 10000; ++i) steps += " same => n,NoOp(${EXTEN})\n";
  steps += "exten => 2,1,NoOp()\n";
  for (int i = 1; i < 10000; ++i) steps += " same => n,NoOp(step)\n";
  golden::Golden g(steps);
  g.engine().set_trace("all", false);
  // The engine's throughput is priorities per second of the worker loop's CPU: the wall clock
  // also counts the 1 ms the engine waits after each 2 ms of running (so that a long dialplan
  // lets the loop's other calls run) and the 2 ms the harness sleeps between its polls.
  clockid_t worker_cpu{};
  g.loop().run_sync([&] { REQUIRE(pthread_getcpuclockid(pthread_self(), &worker_cpu) == 0); });
  auto cpu_of = [](clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
  };
  auto engine_rate = [&](const char* exten) {
    double c0 = cpu_of(worker_cpu);
    g.call("t", exten);
    return 10000 / (cpu_of(worker_cpu) - c0);
  };
  // The reference: a trivial interpreter over the same 10,000 priorities, a map lookup of each
  // priority and a call through a function pointer, as fast as a step can be.
  std::map<int, void (*)(size_t&)> trivial;
  for (int i = 1; i <= 10000; ++i) trivial.emplace(i, [](size_t& n) { ++n; });
  size_t trivial_steps = 0;
  auto trivial_rate_once = [&] {
    size_t before = trivial_steps;
    double c0 = cpu_of(CLOCK_THREAD_CPUTIME_ID);
    for (int prio = 1;; ++prio) {
      auto it = trivial.find(prio);
      if (it == trivial.end()) break;
      it->second(trivial_steps);
    }
    return double(trivial_steps - before) / (cpu_of(CLOCK_THREAD_CPUTIME_ID) - c0);
  };
  // Rounds of one call of each kind and one reference run, interleaved so that the machine's
  // moods fall on all three alike; the median and the best round are shown.
  // ZVON_DIALPLAN_BENCH_KIND=expanded|literal: only that kind runs (bench/dialplan.sh
  // --callgrind counts the instructions of each kind that way: 16 calls of 10,000).
  const std::string kind = std::getenv("ZVON_DIALPLAN_BENCH_KIND") ? std::getenv("ZVON_DIALPLAN_BENCH_KIND") : "";
  auto engine_rate_of = [&](const char* exten, const char* name) {
    return kind.empty() || kind == name ? engine_rate(exten) : 0.0;
  };
  engine_rate_of("1", "expanded");  // warms the caches
  engine_rate_of("2", "literal");
  std::vector<double> expanded_rates, literal_rates, trivial_rates;
  auto wall0 = Clock::now();
  for (int round = 0; round < 15; ++round) {
    literal_rates.push_back(engine_rate_of("2", "literal"));
    expanded_rates.push_back(engine_rate_of("1", "expanded"));
    trivial_rates.push_back(trivial_rate_once());
  }
  const double wall_rate = 15 * 20000 / seconds_since(wall0);
  CHECK(trivial_steps == 15 * 10000);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto best = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  const double trivial_rate = median(trivial_rates);

  // Reload of the 100,000-line file through the console command, with the engine running.
  std::filesystem::copy_file(path, g.core.dir() / "dialplan" / "extensions.conf",
                             std::filesystem::copy_options::overwrite_existing);
  // Meanwhile a probe asks the worker loop that runs the calls for a turn every millisecond:
  // the longest wait is how long the reload held that loop up.
  std::atomic<bool> reloading{true};
  double worst_turn_ms = 0;
  size_t turns = 0;
  std::thread probe([&] {
    while (reloading.load()) {
      auto a = Clock::now();
      g.loop().run_sync([] {});
      worst_turn_ms = std::max(worst_turn_ms, seconds_since(a) * 1000);
      ++turns;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  int status = -1;
  auto r0 = Clock::now();
  g.command("dialplan reload", &status);
  double reload_s = seconds_since(r0);
  reloading.store(false);
  probe.join();
  CHECK(status == 0);
  CHECK(turns > 0);

  std::printf("dialplan bench: compile of a 100,000-line file: %.3f s, %+ld kB resident\n", compile_s, rss1 - rss0);
  std::printf("dialplan bench: dialplan reload of it (console command, engine running): %.3f s; "
              "the worker loop's longest turn meanwhile: %.2f ms (%zu turns)\n", reload_s, worst_turn_ms, turns);
  std::printf("dialplan bench: reference, std::unordered_map lookup of the same keys: %.0f /s (%.3f us each)\n", floor_rate, 1e6 / floor_rate);
  std::printf("dialplan bench: match, exact extension among 99,000: %.0f /s (%.3f us each, %.2fx the reference)\n", exact_rate, 1e6 / exact_rate, floor_rate / exact_rate);
  std::printf("dialplan bench: match, one of 1,000 patterns: %.0f /s (%.3f us each)\n", pattern_rate, 1e6 / pattern_rate);
  std::printf("dialplan bench: match, no extension (every pattern tried): %.0f /s (%.3f us each)\n", miss_rate, 1e6 / miss_rate);
  std::printf("dialplan bench: reference, trivial interpreter (map lookup + indirect call per step): %.0f /s of its thread's CPU (median of 15; best %.0f)\n", trivial_rate, best(trivial_rates));
  std::printf("dialplan bench: priorities run by the engine (NoOp(${EXTEN}), 10,000 per call): %.0f /s of the loop's CPU (median of 15, 1/%.1f of the reference; best %.0f)\n", median(expanded_rates), trivial_rate / median(expanded_rates), best(expanded_rates));
  std::printf("dialplan bench: priorities run by the engine (NoOp(step), literal, 10,000 per call): %.0f /s of the loop's CPU (median of 15, 1/%.1f of the reference; best %.0f)\n", median(literal_rates), trivial_rate / median(literal_rates), best(literal_rates));
  std::printf("dialplan bench: both kinds by the wall clock, waits and the harness's polling included: %.0f /s\n", wall_rate);
  std::filesystem::remove(path);
}
