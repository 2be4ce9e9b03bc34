// The Sofia-SIP thread: its own su_root, run on its own std::thread. Sofia objects are created,
// used and destroyed only on this thread. Other threads hand it work with post(): the jobs go
// into a queue and an eventfd registered with the su_root wakes the thread to run them.
//
// Threads: start() and stop() from the thread that owns the object (the core loop);
// post() from any thread; the hooks run on the Sofia thread.
#pragma once
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zvon/result.h"

struct su_root_s;
struct su_timer_s;

namespace zvon::sip {

class SofiaThread {
 public:
  struct Hooks {
    // After the su_root exists: create the stack (bind listeners). A failure ends the thread
    // and is returned by start().
    std::function<Result<void>(su_root_s* root)> start;
    // stop() was called: begin a graceful shutdown and call `done` when it is over. If `done`
    // is not called within kShutdownTimeoutMs the loop ends anyway.
    std::function<void(std::function<void()> done)> shutdown;
    // After the loop ended: destroy the stack.
    std::function<void()> teardown;
  };
  static constexpr long kShutdownTimeoutMs = 3000;

  SofiaThread() = default;
  ~SofiaThread();
  SofiaThread(const SofiaThread&) = delete;
  SofiaThread& operator=(const SofiaThread&) = delete;

  // Starts the thread and waits until hooks.start returned.
  Result<void> start(Hooks hooks);
  // Shuts the stack down and joins the thread. Idempotent.
  void stop();
  // Runs `job` on the Sofia thread, later. Dropped once stop() began.
  void post(std::function<void()> job);
  bool on_thread() const { return std::this_thread::get_id() == thread_id_; }

  // The eventfd fired (the Sofia thread): runs the queued jobs.
  void on_wake();

 private:
  void run(std::function<void(Result<void>)> started);
  void drain();

  Hooks hooks_;
  std::thread thread_;
  std::thread::id thread_id_;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::vector<std::function<void()>> queue_;
  bool accepting_ = false;
  bool stopping_ = false;
  // Sofia thread only.
  su_root_s* root_ = nullptr;
  su_timer_s* shutdown_timer_ = nullptr;
};

}  // namespace zvon::sip
