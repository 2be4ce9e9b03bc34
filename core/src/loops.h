// The loop threads. A LoopThread owns a uv_loop_t and a post queue woken by uv_async_t.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zvon/loop.h"

namespace zvon {

class LoopThread final : public Loop {
 public:
  // A loop that runs on a thread of its own after start(), or, for the core loop, on the
  // thread that calls run_here().
  explicit LoopThread(std::string name);
  ~LoopThread() override;

  void start();     // spawn the thread (workers)
  void run_here();  // run on the calling thread until stop() (the core loop)
  void stop();      // any thread: ends the run, after the posted work queued so far
  void join();

  uv_loop_t* uv() override { return &loop_; }
  void post(std::function<void()> fn) override;
  bool in_loop_thread() const override;
  void run_sync(std::function<void()> fn) override;
  const std::string& name() const override { return name_; }

 private:
  void drain();
  void run();

  std::string name_;
  uv_loop_t loop_{};
  uv_async_t wakeup_{};
  std::mutex mutex_;  // guards queue_: one per loop, shared by the posters to this loop only
  std::vector<std::function<void()>> queue_;
  std::vector<std::function<void()>> running_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::atomic<std::thread::id> owner_{};
};

class LoopSet final : public Loops {
 public:
  explicit LoopSet(size_t workers);
  ~LoopSet() override;
  void start_workers();
  void stop_workers();

  Loop& core() override { return *core_; }
  LoopThread& core_thread() { return *core_; }
  size_t worker_count() const override { return workers_.size(); }
  Loop& worker(size_t i) override { return *workers_.at(i); }
  Loop& pick_worker() override;
  Loop* current() override;

 private:
  std::unique_ptr<LoopThread> core_;
  std::vector<std::unique_ptr<LoopThread>> workers_;
  std::atomic<size_t> next_{0};
};

}  // namespace zvon
