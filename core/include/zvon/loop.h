// Event loops: one libuv loop per thread. Every object that lives on a loop is touched only
// from that loop's thread; other threads reach it with post().
#pragma once
#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zvon {

class Loop {
 public:
  virtual ~Loop() = default;

  // The libuv loop. Only the loop's own thread may use it.
  virtual uv_loop_t* uv() = 0;
  // Runs `fn` on this loop's thread, later (never inline, even when called from it). Any thread.
  virtual void post(std::function<void()> fn) = 0;
  // True on this loop's own thread.
  virtual bool in_loop_thread() const = 0;
  // Runs `fn` on the loop's thread and waits for it. Only from a thread that is not a worker
  // loop (the core loop, console, tests): a worker never blocks on another.
  virtual void run_sync(std::function<void()> fn) = 0;
  // "core" for the core loop, "worker-N" for the others.
  virtual const std::string& name() const = 0;
  // Milliseconds of the loop's clock (uv_now), cheap. The loop's thread.
  uint64_t now_ms() { return uv_now(uv()); }
};

// The worker loops that channels live on, and the core loop (console, module loading).
class Loops {
 public:
  virtual ~Loops() = default;
  virtual Loop& core() = 0;
  virtual size_t worker_count() const = 0;
  virtual Loop& worker(size_t index) = 0;
  // A worker for a new call, spreading calls over the workers. Any thread.
  virtual Loop& pick_worker() = 0;
  // The loop whose thread is calling, or nullptr on a thread that is no loop's.
  virtual Loop* current() = 0;
};

// A libuv handle owned by an object: closed (asynchronously, as libuv requires) when the
// owner lets go. T is a uv handle type (uv_timer_t, uv_udp_t, ...). The loop thread.
template <class T>
class UvHandle {
 public:
  UvHandle() : h_(std::make_unique<T>()) {}
  UvHandle(UvHandle&&) = default;
  UvHandle& operator=(UvHandle&&) = default;
  ~UvHandle() { close(); }
  T* get() { return h_.get(); }
  const T* get() const { return h_.get(); }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(h_.get()); }
  // After init succeeded: close it when released.
  void mark_open() { open_ = true; }
  void close() {
    if (!h_) return;
    if (open_ && !uv_is_closing(handle())) {
      T* raw = h_.release();
      uv_close(reinterpret_cast<uv_handle_t*>(raw),
               [](uv_handle_t* x) { std::unique_ptr<T>(reinterpret_cast<T*>(x)); });
    } else if (!open_) {
      h_.reset();
    }
    open_ = false;
  }

 private:
  std::unique_ptr<T> h_;
  bool open_ = false;
};

}  // namespace zvon
