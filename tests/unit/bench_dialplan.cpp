// The dialplan benchmark (hidden: run by bench/dialplan.sh as `zvon-unit "[dialplan-bench]"`,
// in a Release build). Prints matches/s over 100,000 extensions, priorities/s of a
// 10,000-priority extension run by the real engine, and the time and memory of compiling
// and reloading a 100,000-line file. Asserts only that the work was done.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
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

  std::mt19937 rng(42);
  std::vector<std::string> exact, pattern, miss;
  for (int i = 0; i < 4096; ++i) {
    exact.push_back(std::to_string(2000000 + rng() % 99000));
    char buf[16];
    std::snprintf(buf, sizeof buf, "9%03u%03u", unsigned(rng() % 1000), unsigned(rng() % 1000));
    pattern.push_back(buf);
    miss.push_back(std::to_string(5000000 + rng() % 99000));
  }
  auto run = [&](const std::vector<std::string>& numbers, size_t n) {
    size_t found = 0;
    auto start = Clock::now();
    for (size_t i = 0; i < n; ++i) found += plan.match("big", numbers[i & 4095]) != nullptr;
    double s = seconds_since(start);
    return std::pair<double, size_t>(double(n) / s, found);
  };
  auto [exact_rate, exact_found] = run(exact, 2000000);
  auto [pattern_rate, pattern_found] = run(pattern, 20000);
  auto [miss_rate, miss_found] = run(miss, 20000);
  CHECK(exact_found == 2000000);
  CHECK(pattern_found == 20000);
  CHECK(miss_found == 0);

  // The engine: one call through 10,000 NoOp priorities, five times.
  std::string steps = "[t]\nexten => 1,1,NoOp()\n";
  for (int i = 1; i < 10000; ++i) steps += " same => n,NoOp(${EXTEN})\n";
  golden::Golden g(steps);
  g.engine().set_trace("all", false);
  auto e0 = Clock::now();
  for (int i = 0; i < 5; ++i) g.call("t", "1");
  double run_s = seconds_since(e0);
  double priorities_rate = 50000 / run_s;

  // Reload of the 100,000-line file through the console command, with the engine running.
  std::filesystem::copy_file(path, g.core.dir() / "dialplan" / "extensions.conf",
                             std::filesystem::copy_options::overwrite_existing);
  int status = -1;
  auto r0 = Clock::now();
  g.command("dialplan reload", &status);
  double reload_s = seconds_since(r0);
  CHECK(status == 0);

  std::printf("dialplan bench: compile of a 100,000-line file: %.3f s, %+ld kB resident\n", compile_s, rss1 - rss0);
  std::printf("dialplan bench: dialplan reload of it (console command, engine running): %.3f s\n", reload_s);
  std::printf("dialplan bench: match, exact extension among 99,000: %.0f /s (%.3f us each)\n", exact_rate, 1e6 / exact_rate);
  std::printf("dialplan bench: match, one of 1,000 patterns: %.0f /s (%.3f us each)\n", pattern_rate, 1e6 / pattern_rate);
  std::printf("dialplan bench: match, no extension (every pattern tried): %.0f /s (%.3f us each)\n", miss_rate, 1e6 / miss_rate);
  std::printf("dialplan bench: priorities run by the engine (NoOp(${EXTEN}), 10,000 per call): %.0f /s\n", priorities_rate);
  std::filesystem::remove(path);
}
