#include "dialplan/dialplan_engine_impl.h"

#include "core_impl.h"
#include "dialplan/app_arguments.h"
#include "dialplan/dialplan_compiler.h"
#include "dialplan/variable_expander.h"
#include "zvon/log.h"

namespace zvon {

namespace {

constexpr std::string_view kLog = "dialplan";
constexpr unsigned kStepsPerTurn = 64;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// What ${...} reads for one channel: the built-in names, then channel variables, then
// [globals] of the snapshot the channel runs.
class ChannelVariables final : public VariableSource {
 public:
  ChannelVariables(Core& core, Channel& channel, const CompiledDialplan* plan,
                   DialplanFunction& callerid)
      : core_(core), channel_(channel), plan_(plan), callerid_(callerid) {}

  std::optional<std::string> variable(std::string_view name) override {
    const DialplanLocation& at = channel_.location();
    if (name == "EXTEN") return at.exten;
    if (name == "CONTEXT") return at.context;
    if (name == "PRIORITY") return std::to_string(at.priority);
    if (name == "UNIQUEID") return channel_.unique_id();
    if (name == "CHANNEL") return channel_.name();
    if (name == "HANGUPCAUSE") return std::to_string(int(channel_.hangup_cause()));
    if (auto v = channel_.var(name)) return std::string(*v);
    if (plan_)
      if (auto g = plan_->global(name)) return std::string(*g);
    return std::nullopt;
  }

  Result<std::string> function(std::string_view name, std::string_view args) override {
    if (auto fn = core_.find_function(name)) return fn->read(channel_, args);
    // Reached when the core has no registry of its own to hold the built-in.
    if (iequals(name, callerid_.name())) return callerid_.read(channel_, args);
    return make_error(cat("unknown function ", name, "() (is its module loaded?)"));
  }

 private:
  Core& core_;
  Channel& channel_;
  const CompiledDialplan* plan_;
  DialplanFunction& callerid_;
};

std::string place(const DialplanLocation& at) {
  return cat(at.exten, "@", at.context, ":", at.priority);
}

}  // namespace

struct DialplanEngineImpl::Run {
  Loop* loop = nullptr;
  Task<> task;
};

std::unique_ptr<DialplanEngine> DialplanEngine::create(Core& core, std::filesystem::path dir) {
  return std::make_unique<DialplanEngineImpl>(core, std::move(dir));
}

DialplanEngineImpl::DialplanEngineImpl(Core& core, std::filesystem::path dir)
    : core_(core), file_(std::move(dir) / "extensions.conf") {
  if (auto* impl = dynamic_cast<CoreImpl*>(&core)) {
    auto& reg = impl->registries();
    auto r = reg.functions.add(callerid_.name(), callerid_, reg.core_usage);
    if (r)
      callerid_registration_ = std::move(*r);
    else
      log(LogLevel::Warning, kLog, "built-in CALLERID(): ", r.message());
  }
}

DialplanEngineImpl::~DialplanEngineImpl() {
  std::unordered_map<Channel*, std::unique_ptr<Run>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(runs_);
  }
  // Normally empty: the core hangs every channel up first. A coroutine frame is destroyed on
  // its own loop, whose thread still runs at this point.
  for (auto& [channel, run] : left) {
    log(LogLevel::Warning, kLog, "stopping a dialplan that is still running at shutdown");
    Loop* loop = run->loop;
    loop->run_sync([r = run.get()] { r->task = Task<>(); });
  }
}

std::shared_ptr<const CompiledDialplan> DialplanEngineImpl::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void DialplanEngineImpl::install(std::shared_ptr<const CompiledDialplan> plan) {
  std::shared_ptr<const CompiledDialplan> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(current_, std::move(plan));
  }
  // `old` is freed here, outside the lock, unless channels still hold it.
}

size_t DialplanEngineImpl::running() const {
  std::lock_guard lock(mutex_);
  return runs_.size();
}

Result<void> DialplanEngineImpl::load() {
  std::lock_guard serial(reload_mutex_);
  auto result = compile_dialplan_file(file_);
  if (!result.ok()) return make_error(result.message());
  auto plan = result.plan;
  install(plan);
  log(LogLevel::Notice, kLog, "loaded ", file_.string(), ": ", plan->contexts.size(),
      " contexts, ", plan->extension_count(), " extensions");
  return {};
}

Result<void> DialplanEngineImpl::reload() {
  std::lock_guard serial(reload_mutex_);
  // Parsed and compiled here, on the caller's thread; the running dialplan is untouched
  // until the new one is complete and free of errors.
  auto result = compile_dialplan_file(file_);
  if (!result.ok()) {
    log(LogLevel::Error, kLog, "reload failed, keeping the running dialplan:\n", result.message());
    return make_error(result.message());
  }
  auto plan = result.plan;
  install(plan);
  log(LogLevel::Notice, kLog, "reloaded ", file_.string(), ": ", plan->contexts.size(),
      " contexts, ", plan->extension_count(), " extensions");
  return {};
}

bool DialplanEngineImpl::exists(std::string_view context, std::string_view exten) const {
  auto plan = snapshot();
  return plan && plan->match(context, exten) != nullptr;
}

Result<int> DialplanEngineImpl::find_priority(std::string_view context, std::string_view exten,
                                              std::string_view label_or_number) const {
  auto plan = snapshot();
  const CompiledContext* c = plan ? plan->context(context) : nullptr;
  if (!c) return make_error(cat("no context [", context, "] in the dialplan"));
  const CompiledExtension* e = c->match(exten);
  if (!e) return make_error(cat("no extension '", exten, "' in [", context, "]"));
  auto number = e->resolve(label_or_number);
  if (!number)
    return make_error(cat("no priority or label '", label_or_number, "' in extension '", e->name,
                          "' of [", context, "]"));
  return *number;
}

Result<std::string> DialplanEngineImpl::expand(Channel& channel, std::string_view text) {
  auto plan = snapshot();
  return expand_with(channel, plan.get(), text);
}

Result<std::string> DialplanEngineImpl::expand_with(Channel& channel, const CompiledDialplan* plan,
                                                    std::string_view text) {
  ChannelVariables source(core_, channel, plan, callerid_);
  return expand_variables(text, source);
}

void DialplanEngineImpl::start(std::shared_ptr<Channel> channel, std::string context,
                               std::string exten) {
  auto plan = snapshot();
  channel->location() = DialplanLocation{context, exten, 1};
  const CompiledExtension* ext = plan ? plan->match(context, exten) : nullptr;
  if (!ext || !ext->priority(1)) {
    log(LogLevel::Notice, kLog, channel->name(), ": no extension '", exten, "' in [", context,
        "]", ext ? " with a priority 1" : "", ": hanging up (unallocated)");
    channel->hangup(HangupCause::Unallocated);
    return;
  }
  Channel* key = channel.get();
  Run* run = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = runs_.try_emplace(key);
    if (!fresh) {
      log(LogLevel::Error, kLog, channel->name(), ": the dialplan is already running on it");
      return;
    }
    it->second = std::make_unique<Run>();
    run = it->second.get();
    run->loop = &channel->loop();
  }
  core_.events().publish(Event{"DialplanStart", 0, {}}
                             .add("channel", channel->name())
                             .add("uniqueid", channel->unique_id())
                             .add("context", context)
                             .add("exten", exten));
  run->task = this->run(std::move(channel), std::move(plan));
  // May finish (and free `run`) before it returns: nothing touches `run` afterwards.
  run->task.start([this, key](std::exception_ptr error) { finished(key, error); });
}

void DialplanEngineImpl::finished(Channel* key, std::exception_ptr error) {
  std::unique_ptr<Run> done;
  {
    std::lock_guard lock(mutex_);
    auto it = runs_.find(key);
    if (it != runs_.end()) {
      done = std::move(it->second);
      runs_.erase(it);
    }
  }
  if (error) {
    // run() catches everything; this is a last line of defence.
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log(LogLevel::Error, kLog, "dialplan coroutine ended with: ", e.what());
    } catch (...) {
      log(LogLevel::Error, kLog, "dialplan coroutine ended with an unknown exception");
    }
  }
  // `done` destroys the finished coroutine frame (and its channel reference) here.
}

Task<> DialplanEngineImpl::run(std::shared_ptr<Channel> channel,
                               std::shared_ptr<const CompiledDialplan> plan) {
  Channel& ch = *channel;
  try {
    co_await steps(ch, std::move(plan));
  } catch (const ChannelHungUp&) {
    // The caller went away: the apps have unwound, nothing to report.
  } catch (const std::exception& e) {
    log(LogLevel::Error, kLog, ch.name(), ": dialplan stopped at ", place(ch.location()), ": ",
        e.what());
  } catch (...) {
    log(LogLevel::Error, kLog, ch.name(), ": dialplan stopped at ", place(ch.location()),
        ": unknown exception");
  }
  ch.clear_application();
  if (!ch.hung_up()) ch.hangup();
}

Task<> DialplanEngineImpl::steps(Channel& ch, std::shared_ptr<const CompiledDialplan> plan) {
  // The snapshot stays the one the channel started with while it stays in this extension; a
  // jump to another extension takes the dialplan that is current by then.
  DialplanLocation& at = ch.location();
  const CompiledExtension* ext = plan->match(at.context, at.exten);
  for (unsigned step = 1;; ++step) {
    // A dialplan that loops without waiting (`same => n,Goto(1)`) must not starve the other
    // calls of this loop: give the loop a turn now and then. 1 ms, not 0: libuv runs a
    // 0 ms timer started from a timer callback in the same pass, which would not yield.
    if (step % kStepsPerTurn == 0) co_await ch.wait(std::chrono::milliseconds(1));
    if (ch.hung_up()) co_return;
    const CompiledPriority* p = ext ? ext->priority(at.priority) : nullptr;
    if (!p) {
      log(LogLevel::Verbose, kLog, ch.name(), ": no priority ", place(at), ", dialplan ends");
      co_return;
    }
    auto text = expand_with(ch, plan.get(), p->args);
    if (!text) {
      log(LogLevel::Error, kLog, p->pos.str(), ": ", ch.name(), ": ", text.message(),
          "; hanging up");
      ch.hangup(HangupCause::Failure);
      co_return;
    }
    AppResult result;
    {
      Pinned<Application> app = core_.find_application(p->app);
      if (!app) {
        log(LogLevel::Error, kLog, p->pos.str(), ": ", ch.name(), ": no application '", p->app,
            "' (is its module loaded?); hanging up");
        ch.hangup(HangupCause::Failure);
        co_return;
      }
      AppArgs args = split_app_arguments(*text);
      log(LogLevel::Verbose, kLog, "Executing [", place(at), "] ", p->app, "(\"", ch.name(),
          "\", \"", *text, "\")");
      ch.set_application(p->app, app.use());
      struct ClearApplication {
        Channel& ch;
        ~ClearApplication() { ch.clear_application(); }
      } clear{ch};
      result = co_await app->exec(ch, args);
    }
    switch (result) {
      case AppResult::Continue:
        ++at.priority;
        break;
      case AppResult::Stop:
        co_return;
      case AppResult::Jumped: {
        const CompiledExtension* same = plan->match(at.context, at.exten);
        if (same != ext || !same) {
          plan = snapshot();
          if (!plan) co_return;
          ext = plan->match(at.context, at.exten);
          if (!ext)
            log(LogLevel::Warning, kLog, ch.name(), ": jumped to ", place(at),
                ", which does not exist; dialplan ends");
        }
        break;
      }
    }
  }
}

}  // namespace zvon
