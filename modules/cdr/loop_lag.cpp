#include "loop_lag.h"

namespace zvon::cdr {

namespace {
constexpr uint64_t kPeriodMs = 20;
}

struct LoopLag::Probe {
  explicit Probe(Loop& l) : loop(l) {}
  Loop& loop;
  UvHandle<uv_timer_t> timer;
  uint64_t last_ns = 0;
  std::atomic<uint64_t> max_us{0};
  std::atomic<bool> reset_asked{false};

  void start() {
    uv_timer_init(loop.uv(), timer.get());
    timer.mark_open();
    timer.get()->data = this;
    last_ns = uv_hrtime();
    uv_timer_start(timer.get(), [](uv_timer_t* t) { static_cast<Probe*>(t->data)->tick(); }, kPeriodMs, kPeriodMs);
  }

  void tick() {
    uint64_t now = uv_hrtime();
    uint64_t elapsed_us = (now - last_ns) / 1000;
    last_ns = now;
    uint64_t lag = elapsed_us > kPeriodMs * 1000 ? elapsed_us - kPeriodMs * 1000 : 0;
    if (reset_asked.exchange(false)) max_us.store(0);
    if (lag > max_us.load(std::memory_order_relaxed)) max_us.store(lag, std::memory_order_relaxed);
  }
};

LoopLag::LoopLag(Loops& loops) : loops_(loops) {
  probes_.push_back(std::make_unique<Probe>(loops.core()));
  probes_.back()->start();
  for (size_t i = 0; i < loops.worker_count(); ++i) {
    auto p = std::make_unique<Probe>(loops.worker(i));
    Probe* raw = p.get();
    loops.worker(i).run_sync([raw] { raw->start(); });
    probes_.push_back(std::move(p));
  }
}

LoopLag::~LoopLag() {
  // Each timer is closed on its own loop's thread.
  for (size_t i = 1; i < probes_.size(); ++i) {
    Probe* raw = probes_[i].get();
    raw->loop.run_sync([raw] { raw->timer.close(); });
  }
  probes_.clear();
}

std::vector<LoopLag::Sample> LoopLag::max() const {
  std::vector<Sample> out;
  for (auto& p : probes_) out.push_back({p->loop.name(), p->max_us.load()});
  return out;
}

void LoopLag::reset() {
  for (auto& p : probes_) {
    p->reset_asked.store(true);
    p->max_us.store(0);
  }
}

}  // namespace zvon::cdr
