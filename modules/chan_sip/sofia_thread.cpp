#include "sofia_thread.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <future>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "zvon/log.h"

namespace zvon::sip {

SofiaThread::~SofiaThread() { stop(); }

Result<void> SofiaThread::start(Hooks hooks) {
  hooks_ = std::move(hooks);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return make_error("chan_sip: cannot create an eventfd for the SIP thread");
  std::promise<Result<void>> started;
  auto future = started.get_future();
  {
    std::lock_guard lock(mutex_);
    accepting_ = true;
  }
  thread_ = std::thread([this, &started] {
    run([&started](Result<void> r) { started.set_value(std::move(r)); });
  });
  auto result = future.get();
  if (!result) {
    thread_.join();
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
  return result;
}

void SofiaThread::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    // The shutdown job is the last one accepted.
    queue_.push_back([this] {
      shutdown_timer_ = su_timer_create(su_root_task(root_), kShutdownTimeoutMs);
      su_timer_set(
          shutdown_timer_,
          [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
            auto* self = static_cast<SofiaThread*>(arg);
            log(LogLevel::Warning, "chan_sip", "SIP stack shutdown took too long; stopping anyway");
            su_root_break(self->root_);
          },
          this);
      hooks_.shutdown([this] { su_root_break(root_); });
    });
    accepting_ = false;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  wake_fd_ = -1;
  std::lock_guard lock(mutex_);
  queue_.clear();
}

void SofiaThread::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) return;
    queue_.push_back(std::move(job));
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

namespace {
int wake_callback(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg) {
  static_cast<SofiaThread*>(arg)->on_wake();
  return 0;
}
}  // namespace

void SofiaThread::on_wake() {
  uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  drain();
}

void SofiaThread::drain() {
  std::vector<std::function<void()>> jobs;
  {
    std::lock_guard lock(mutex_);
    jobs.swap(queue_);
  }
  for (auto& job : jobs) job();
}

void SofiaThread::run(std::function<void(Result<void>)> started) {
  thread_id_ = std::this_thread::get_id();
  pthread_setname_np(pthread_self(), "sofia-sip");
  su_init();
  root_ = su_root_create(nullptr);
  if (!root_) {
    su_deinit();
    started(make_error("chan_sip: cannot create the Sofia-SIP event loop (su_root_create failed)"));
    return;
  }
  // The stack (nua/nta) runs in this very thread, not in a clone thread of its own.
  su_root_threading(root_, 0);

  su_wait_t wait[1];
  su_wait_create(wait, wake_fd_, SU_WAIT_IN);
  int index = su_root_register(root_, wait,
                               wake_callback, this, 0);
  Result<void> r = index < 0 ? Result<void>(make_error("chan_sip: cannot watch the SIP thread's eventfd"))
                             : hooks_.start(root_);
  if (!r) {
    if (index >= 0) su_root_deregister(root_, index);
    su_root_destroy(root_);
    root_ = nullptr;
    su_deinit();
    started(std::move(r));
    return;
  }
  started({});

  su_root_run(root_);

  hooks_.teardown();
  if (shutdown_timer_) su_timer_destroy(shutdown_timer_);
  shutdown_timer_ = nullptr;
  su_root_deregister(root_, index);
  su_root_destroy(root_);
  root_ = nullptr;
  su_deinit();
}

}  // namespace zvon::sip
