#include "loops.h"

#include <future>
#include <stdexcept>

#include "zvon/log.h"

namespace zvon {

namespace {
thread_local Loop* current_loop = nullptr;
}

LoopThread::LoopThread(std::string name) : name_(std::move(name)) {
  if (int rc = uv_loop_init(&loop_); rc != 0)
    throw std::runtime_error(cat("uv_loop_init: ", uv_strerror(rc)));
  uv_async_init(&loop_, &wakeup_, [](uv_async_t* a) { static_cast<LoopThread*>(a->data)->drain(); });
  wakeup_.data = this;
}

LoopThread::~LoopThread() {
  stop();
  join();
  // Close what is left (handles of objects that were destroyed with the loop stopped) so
  // uv_loop_close succeeds.
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&wakeup_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_walk(&loop_, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void LoopThread::start() {
  thread_ = std::thread([this] { run(); });
}

void LoopThread::run_here() { run(); }

void LoopThread::run() {
  owner_.store(std::this_thread::get_id());
  current_loop = this;
  while (!stopping_.load()) {
    uv_run(&loop_, UV_RUN_DEFAULT);
    // uv_run returns when stop() calls uv_stop, or when nothing is left to do; the async
    // handle keeps it alive, so this only spins after stop.
  }
  drain();
  current_loop = nullptr;
}

void LoopThread::stop() {
  if (stopping_.exchange(true)) return;
  post([this] { uv_stop(&loop_); });
}

void LoopThread::join() {
  if (thread_.joinable()) thread_.join();
}

void LoopThread::post(std::function<void()> fn) {
  bool first;
  {
    std::lock_guard lock(mutex_);
    first = queue_.empty();
    queue_.push_back(std::move(fn));
  }
  // One wake-up per batch: uv_async_send coalesces anyway, this saves the syscall.
  if (first) uv_async_send(&wakeup_);
}

void LoopThread::drain() {
  {
    std::lock_guard lock(mutex_);
    running_.swap(queue_);
  }
  for (auto& fn : running_) {
    try {
      fn();
    } catch (const std::exception& e) {
      log(LogLevel::Error, name_, "posted work threw: ", e.what());
    }
  }
  running_.clear();
}

bool LoopThread::in_loop_thread() const { return owner_.load() == std::this_thread::get_id(); }

void LoopThread::run_sync(std::function<void()> fn) {
  if (in_loop_thread()) {
    fn();
    return;
  }
  std::promise<void> done;
  auto f = done.get_future();
  post([&] {
    try {
      fn();
    } catch (...) {
      done.set_exception(std::current_exception());
      return;
    }
    done.set_value();
  });
  f.get();
}

LoopSet::LoopSet(size_t workers) : core_(std::make_unique<LoopThread>("core")) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < workers; ++i)
    workers_.push_back(std::make_unique<LoopThread>("worker-" + std::to_string(i)));
}

LoopSet::~LoopSet() { stop_workers(); }

void LoopSet::start_workers() {
  for (auto& w : workers_) w->start();
}

void LoopSet::stop_workers() {
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
}

Loop& LoopSet::pick_worker() {
  return *workers_[next_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

Loop* LoopSet::current() { return current_loop; }

}  // namespace zvon
