// Measures how late each loop (the core loop and every worker) runs a 20 ms timer: the lag a
// call would feel. The storage tests read it to prove a database outage or a slow server
// never stalls a loop.
//
// Threads: construct and destroy on the core loop (it run_syncs into the workers); max_ms()
// and reset() from any thread.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "zvon/core.h"

namespace zvon::cdr {

class LoopLag {
 public:
  explicit LoopLag(Loops& loops);
  ~LoopLag();
  LoopLag(const LoopLag&) = delete;
  LoopLag& operator=(const LoopLag&) = delete;

  struct Sample {
    std::string loop;
    uint64_t max_us;
  };
  std::vector<Sample> max() const;
  void reset();

  struct Probe;  // one loop's timer (loop_lag.cpp)

 private:
  Loops& loops_;
  std::vector<std::unique_ptr<Probe>> probes_;
};

}  // namespace zvon::cdr
