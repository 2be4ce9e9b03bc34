// What a module is: a shared object exporting one descriptor (data, read before any of the
// module's code runs) whose load() returns the module object. Everything the module
// registers is held by Registration handles inside that object, so destroying it unregisters.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "zvon/result.h"
#include "zvon/version.h"

namespace zvon {

class Core;
class Config;
class ModuleContext;

// Unregisters what it stands for when destroyed. Movable, not copyable.
class [[nodiscard]] Registration {
 public:
  Registration() = default;
  explicit Registration(std::function<void()> undo) : undo_(std::move(undo)) {}
  Registration(Registration&& o) noexcept : undo_(std::exchange(o.undo_, nullptr)) {}
  Registration& operator=(Registration&& o) noexcept {
    if (this != &o) {
      release();
      undo_ = std::exchange(o.undo_, nullptr);
    }
    return *this;
  }
  ~Registration() { release(); }
  void release() {
    if (undo_) std::exchange(undo_, nullptr)();
  }

 private:
  std::function<void()> undo_;
};

// A loaded module's use count. While a ModuleUse exists the module cannot be unloaded.
// Any thread.
class ModuleUsage {
 public:
  explicit ModuleUsage(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  int uses() const { return uses_.load(std::memory_order_acquire); }
  // Fails while the module is being unloaded: no new work starts on a closing module.
  bool try_acquire() {
    uses_.fetch_add(1, std::memory_order_acq_rel);
    if (closing_.load(std::memory_order_acquire)) {
      uses_.fetch_sub(1, std::memory_order_acq_rel);
      return false;
    }
    return true;
  }
  // Another use by a holder of one (copying a ModuleUse): the module cannot be closed under it.
  void acquire_more() { uses_.fetch_add(1, std::memory_order_acq_rel); }
  void release() { uses_.fetch_sub(1, std::memory_order_acq_rel); }
  // The loader's side: close, then check uses() == 0; reopen() if it must refuse.
  void close() { closing_.store(true, std::memory_order_seq_cst); }
  void reopen() { closing_.store(false, std::memory_order_seq_cst); }
  bool closing() const { return closing_.load(std::memory_order_acquire); }

 private:
  std::string name_;
  std::atomic<int> uses_{0};
  std::atomic<bool> closing_{false};
};

// Pins a module while held (Asterisk's use count at the point of use).
class ModuleUse {
 public:
  ModuleUse() = default;
  // Adopts a use already acquired with try_acquire().
  static ModuleUse adopt(std::shared_ptr<ModuleUsage> u) { ModuleUse m; m.u_ = std::move(u); return m; }
  ModuleUse(ModuleUse&& o) noexcept = default;
  ModuleUse& operator=(ModuleUse&& o) noexcept {
    if (this != &o) { reset(); u_ = std::move(o.u_); }
    return *this;
  }
  ModuleUse(const ModuleUse& o) : u_(o.u_) { if (u_) u_->acquire_more(); }
  ~ModuleUse() { reset(); }
  void reset() { if (u_) { u_->release(); u_.reset(); } }
  explicit operator bool() const { return bool(u_); }
  ModuleUse& operator=(const ModuleUse& o) {
    if (this != &o) { reset(); u_ = o.u_; if (u_) u_->acquire_more(); }
    return *this;
  }
  const std::string& module_name() const { static const std::string none; return u_ ? u_->name() : none; }

 private:
  std::shared_ptr<ModuleUsage> u_;
};

// A registered thing (application, technology, codec...) together with the use that keeps its
// module loaded while the caller works with it.
template <class T>
class Pinned {
 public:
  Pinned() = default;
  Pinned(T* obj, ModuleUse use) : obj_(obj), use_(std::move(use)) {}
  T* get() const { return obj_; }
  T* operator->() const { return obj_; }
  T& operator*() const { return *obj_; }
  explicit operator bool() const { return obj_ != nullptr; }
  const ModuleUse& use() const { return use_; }

 private:
  T* obj_ = nullptr;
  ModuleUse use_;
};

// The module object: lives from a successful load() to unload.
class Module {
 public:
  virtual ~Module() = default;
  // `module reload NAME`: re-read configuration. A failure keeps the old configuration.
  virtual Result<void> reload() { return {}; }
};

using ModuleLoadFn = Result<std::unique_ptr<Module>> (*)(ModuleContext&);

// C layout, read by the loader before any module code runs.
struct ModuleDescriptor {
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* fingerprint;   // must equal the core's build fingerprint
  const char* name;          // file name without ".so", e.g. "app_echo"
  const char* description;
  const char* depends;       // space-separated module names loaded before this one, or ""
  ModuleLoadFn load;
};

}  // namespace zvon

// Declares the module's descriptor. Use once per module, at namespace scope.
#define ZVON_MODULE(name_, description_, depends_, load_fn_)                               \
  extern "C" __attribute__((visibility("default"))) const ::zvon::ModuleDescriptor         \
      zvon_module_descriptor = {ZVON_ABI_MAJOR, ZVON_ABI_MINOR, ZVON_BUILD_FINGERPRINT,    \
                                name_, description_, depends_, load_fn_};
