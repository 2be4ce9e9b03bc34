// What device state costs a call. Each simulated call takes one device through the changes a
// dialled leg makes (idle -> ringing -> in use -> idle): the device state table's work
// (counts, the device's hints re-aggregated, DeviceStateChange / ExtensionStatus events, the
// watchers of subscribed hints) against the reference every channel already pays for the
// same three changes, a ChannelState event with the fields Channel::publish gives it. Both
// publish to a bus with one subscriber that only counts (the console's share of the work).
// Bounded: a fixed number of calls per run, best of 5 runs.
//   zvon-device-state-bench [calls] [hints]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "device_state_registry.h"
#include "event_bus.h"

using namespace zvon;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double best_ns_per_call(int calls, F body) {
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    auto start = Clock::now();
    for (int i = 0; i < calls; ++i) body(i);
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / calls;
    best = std::min(best, ns);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::atoi(argv[1]) : 200000;
  int hints = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (calls <= 0 || calls > 10000000 || hints <= 0 || hints > 1000000) {
    std::fprintf(stderr, "usage: zvon-device-state-bench [calls 1..10000000] [hints 1..1000000]\n");
    return 2;
  }
  EventBusImpl bus;
  std::atomic<uint64_t> seen{0};
  auto sub = bus.subscribe([&](const Event&) { seen.fetch_add(1, std::memory_order_relaxed); });

  std::vector<std::string> devices;
  std::vector<HintDefinition> defs;
  for (int i = 0; i < hints; ++i) {
    devices.push_back("SIP/" + std::to_string(1000 + i));
    defs.push_back({std::to_string(1000 + i), "internal", devices.back()});
  }
  DeviceStateRegistry table(bus);
  table.set_hints(defs);
  for (auto& d : devices) table.report(d, DeviceState::NotInUse);
  // One phone in ten watches a hint (a BLF key), as chan_sip's subscriptions do.
  std::atomic<uint64_t> notified{0};
  std::vector<Registration> watches;
  for (int i = 0; i < hints; i += 10)
    watches.push_back(table.watch(std::to_string(1000 + i), "internal",
                                  [&](ExtensionState) { notified.fetch_add(1, std::memory_order_relaxed); }));

  const DeviceState steps[][2] = {{DeviceState::NotInUse, DeviceState::Ringing},
                                  {DeviceState::Ringing, DeviceState::InUse},
                                  {DeviceState::InUse, DeviceState::NotInUse}};
  double device_ns = best_ns_per_call(calls, [&](int i) {
    const std::string& dev = devices[size_t(i) % devices.size()];
    for (auto& s : steps) table.channel_changed(dev, s[0], s[1]);
  });

  const char* states[] = {"Ringing", "Up", "Hungup"};
  double reference_ns = best_ns_per_call(calls, [&](int i) {
    for (auto* st : states) {
      Event e;
      e.type = "ChannelState";
      e.add("channel", devices[size_t(i) % devices.size()] + "-0000002a").add("uniqueid", "1796168110.42");
      e.add("state", st).add("direction", "out").add("caller", "103").add("dialed", "101");
      e.add("context", "internal");
      bus.publish(std::move(e));
    }
  });

  std::printf("calls per run           %d (best of 5 runs), %d hints, %zu watched\n", calls, hints, watches.size());
  std::printf("device state, per call  %.0f ns (3 changes: counts, hint, 2 events each, watchers)\n", device_ns);
  std::printf("reference, per call     %.0f ns (the 3 ChannelState events a call publishes anyway)\n", reference_ns);
  std::printf("ratio                   %.2f\n", device_ns / reference_ns);
  std::printf("(events seen %llu, watcher calls %llu)\n", (unsigned long long)seen.load(),
              (unsigned long long)notified.load());
  return 0;
}
