#include "dialplan/dialplan_engine_impl.h"

#include "core_impl.h"
#include "dialplan/app_arguments.h"
#include "dialplan/dialplan_compiler.h"
#include "dialplan/variable_expander.h"
#include "dialplan/expression.h"
#include "dialplan/builtin_functions.h"
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

// What ${...} reads for one channel: the engine's lookup (built-ins, channel variables,
// globals) and the registered functions.
class ChannelVariables final : public VariableSource {
 public:
  ChannelVariables(Core& core, DialplanEngineImpl& engine, Channel& channel,
                   DialplanFunction& callerid)
      : core_(core), engine_(engine), channel_(channel), callerid_(callerid) {}

  std::optional<std::string> variable(std::string_view name) override {
    return engine_.variable(channel_, name);
  }

  Result<std::string> function(std::string_view name, std::string_view args) override {
    if (auto fn = core_.find_function(name)) return fn->read(channel_, args);
    // Reached when the core has no registry of its own to hold the built-in.
    if (iequals(name, callerid_.name())) return callerid_.read(channel_, args);
    return make_error(cat("unknown function ", name, "() (is its module loaded?)"));
  }

 private:
  Core& core_;
  DialplanEngineImpl& engine_;
  Channel& channel_;
  DialplanFunction& callerid_;
};

// Applications `dialplan route` runs for real: they only steer the dialplan or set variables.
bool steers_only(std::string_view app) {
  for (std::string_view a : {"set", "noop", "verbose", "log", "goto", "gotoif", "gotoiftime",
                             "gosub", "gosubif", "return", "while", "endwhile", "exitwhile"})
    if (iequals(app, a)) return true;
  return false;
}
// Where the route ends: the call is answered by a person, refused or hung up here.
bool ends_route(std::string_view app) {
  for (std::string_view a : {"dial", "hangup", "busy", "congestion"})
    if (iequals(app, a)) return true;
  return false;
}

std::string place(const DialplanLocation& at) {
  return cat(at.exten, "@", at.context, ":", at.priority);
}

}  // namespace


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
    functions_ = std::make_unique<BuiltinFunctions>(*this);
    for (auto& fn : functions_->all()) {
      auto added = reg.functions.add(fn->name(), *fn, reg.core_usage);
      if (added)
        builtin_registrations_.push_back(std::move(*added));
      else
        log(LogLevel::Warning, kLog, "built-in ", fn->name(), "(): ", added.message());
    }
    control_flow_ = std::make_unique<ControlFlowApps>(*this);
    for (auto& app : control_flow_->all()) {
      auto added = reg.applications.add(app->name(), *app, reg.core_usage);
      if (added)
        builtin_registrations_.push_back(std::move(*added));
      else
        log(LogLevel::Warning, kLog, "built-in ", app->name(), "(): ", added.message());
    }
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
  // The registries must not keep pointers to the built-ins past this point.
  builtin_registrations_.clear();
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
  reset_globals(*plan);
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
  reset_globals(*plan);
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

Result<std::string> DialplanEngineImpl::expand_with(Channel& channel, const CompiledDialplan*,
                                                    std::string_view text) {
  ChannelVariables source(core_, *this, channel, callerid_);
  return expand_variables(text, source);
}

void DialplanEngineImpl::reset_globals(const CompiledDialplan& plan) {
  // [globals] of the file win over what GLOBAL() set before; the rest stays, as in Asterisk.
  std::lock_guard lock(globals_mutex_);
  for (auto& [name, value] : plan.globals) globals_[name] = value;
}

std::optional<std::string> DialplanEngineImpl::global(std::string_view name) const {
  std::lock_guard lock(globals_mutex_);
  auto it = globals_.find(std::string(name));
  if (it == globals_.end()) return std::nullopt;
  return it->second;
}

void DialplanEngineImpl::set_global(std::string_view name, std::string_view value) {
  std::lock_guard lock(globals_mutex_);
  globals_[std::string(name)] = std::string(value);
}

std::optional<std::string> DialplanEngineImpl::variable(Channel& channel, std::string_view name) {
  const DialplanLocation& at = channel.location();
  if (name == "EXTEN") return at.exten;
  if (name == "CONTEXT") return at.context;
  if (name == "PRIORITY") return std::to_string(at.priority);
  if (name == "UNIQUEID") return channel.unique_id();
  if (name == "CHANNEL") return channel.name();
  if (name == "HANGUPCAUSE") return std::to_string(int(channel.hangup_cause()));
  if (name == "EPOCH") return std::to_string(now(channel));
  if (auto v = channel.var(name)) return std::string(*v);
  // Set(_NAME=...) and Set(__NAME=...) keep the underscores (they say how far the variable is
  // inherited); ${NAME} reads them.
  std::string inherited = cat("_", name);
  if (auto v = channel.var(inherited)) return std::string(*v);
  if (auto v = channel.var("_" + inherited)) return std::string(*v);
  return global(name);
}

RunState* DialplanEngineImpl::state(Channel& channel) {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(&channel);
  return it == runs_.end() ? nullptr : &it->second->state;
}

std::time_t DialplanEngineImpl::now(Channel& channel) {
  if (RunState* st = state(channel); st && st->fixed_now) return *st->fixed_now;
  if (int64_t t = test_clock_.load(); t >= 0) return std::time_t(t);
  return std::time(nullptr);
}

void DialplanEngineImpl::set_clock(std::optional<std::time_t> t) { test_clock_.store(t ? int64_t(*t) : -1); }

DbStore* DialplanEngineImpl::db() {
  std::call_once(db_once_, [this] {
    auto file = core_.paths().data_dir / "dialplan-db.journal";
    auto store = DbStore::open(file);
    if (store)
      db_ = std::move(*store);
    else
      log(LogLevel::Error, kLog, "DB(): ", store.message());
  });
  return db_.get();
}

Pinned<KeyValueStore> DialplanEngineImpl::key_value_store() {
  if (auto provided = core_.find_key_value_store()) return provided;
  return Pinned<KeyValueStore>(db(), ModuleUse());
}

void DialplanEngineImpl::set_trace(const std::string& target, bool on) {
  std::lock_guard lock(trace_mutex_);
  if (target == "all") {
    trace_all_ = on;
    if (!on) traced_.clear();
  } else if (on) {
    traced_.insert(target);
  } else {
    traced_.erase(target);
  }
  any_trace_.store(trace_all_ || !traced_.empty());
}

bool DialplanEngineImpl::traced(const Channel& channel) {
  if (!any_trace_.load(std::memory_order_relaxed)) return false;
  std::lock_guard lock(trace_mutex_);
  return trace_all_ || traced_.count(channel.name()) > 0;
}

DialplanEngineImpl::Run* DialplanEngineImpl::add_run(const std::shared_ptr<Channel>& channel) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = runs_.try_emplace(channel.get());
  if (!fresh) return nullptr;
  it->second = std::make_unique<Run>();
  it->second->loop = &channel->loop();
  return it->second.get();
}

void DialplanEngineImpl::start(std::shared_ptr<Channel> channel, std::string context,
                               std::string exten) {
  auto plan = snapshot();
  // A call without a number (an outbound leg answered, a trunk with none) starts at 's'.
  if (exten.empty()) exten = "s";
  channel->location() = DialplanLocation{context, exten, 1};
  const CompiledExtension* ext = plan ? plan->match(context, exten, now(*channel)) : nullptr;
  if (!ext || !ext->priority(1)) {
    log(LogLevel::Notice, kLog, channel->name(), ": no extension '", exten, "' in [", context,
        "]", ext ? " with a priority 1" : "", ": hanging up (unallocated)");
    channel->hangup(HangupCause::Unallocated);
    return;
  }
  Channel* key = channel.get();
  Run* run = add_run(channel);
  if (!run) {
    log(LogLevel::Error, kLog, channel->name(), ": the dialplan is already running on it");
    return;
  }
  run->state.plan = std::move(plan);
  run->state.trace = traced(*channel);
  core_.events().publish(Event{"DialplanStart", 0, {}}
                             .add("channel", channel->name())
                             .add("uniqueid", channel->unique_id())
                             .add("context", context)
                             .add("exten", exten));
  run->task = this->run(std::move(channel), &run->state);
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

Task<> DialplanEngineImpl::run(std::shared_ptr<Channel> channel, RunState* state) {
  Channel& ch = *channel;
  RunState& st = *state;
  for (int round = 0; round < 2; ++round) {
    try {
      co_await steps(ch, st);
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
    if (st.dry_run) break;
    if (!ch.hung_up()) ch.hangup();
    // After the hang-up, the context's h extension runs (once) for what must happen at the
    // end of every call (a CDR note, a DB update); its apps that wait end at once.
    if (st.in_h || !st.plan) break;
    const std::string context = ch.location().context;
    auto plan = snapshot();
    if (!plan || !plan->match(context, "h")) break;
    st.plan = plan;
    st.in_h = true;
    ch.location() = DialplanLocation{context, "h", 1};
  }
}

Task<> DialplanEngineImpl::steps(Channel& ch, RunState& st) {
  // The snapshot stays the one the channel started with while it stays in this extension; a
  // jump to another extension takes the dialplan that is current by then.
  DialplanLocation& at = ch.location();
  st.ext = st.plan->match(at.context, at.exten, now(ch));
  auto say = [&](const std::string& line) {
    if (st.dry_run) st.dry_run->push_back(line);
  };
  // Goes to the context's `name` extension (i, e) when it has one; false otherwise.
  auto divert = [&](std::string_view name, std::string_view var, std::string_view value) {
    if (at.exten == name) return false;
    auto plan = snapshot();
    if (!plan) return false;
    const CompiledExtension* target = plan->match(at.context, name, now(ch));
    if (!target || !target->priority(1)) return false;
    ch.set_var(var, value);
    st.plan = plan;
    st.ext = target;
    at.exten = std::string(name);
    at.priority = 1;
    say(cat("-> ", name, "@", at.context, " (", var, "=", value, ")"));
    return true;
  };
  auto slice = std::chrono::steady_clock::now();
  for (unsigned step = 1;; ++step) {
    // A dialplan that loops without waiting (`same => n,Goto(1)`) must not starve the other
    // calls of this loop: after 2 ms of running, give the loop a turn. 1 ms, not 0: libuv
    // runs a 0 ms timer started from a timer callback in the same pass, which would not
    // yield. The clock is read every 64 steps only, so short dialplans pay nothing.
    if (step % kStepsPerTurn == 0 &&
        std::chrono::steady_clock::now() - slice >= std::chrono::milliseconds(2)) {
      co_await ch.wait(std::chrono::milliseconds(1), st.in_h);
      slice = std::chrono::steady_clock::now();
    }
    if (ch.hung_up() && !st.in_h) co_return;
    if (st.dry_run && step > 10000) {
      say("the dry run stops after 10000 priorities (an endless loop?)");
      co_return;
    }
    const CompiledPriority* p = st.ext ? st.ext->priority(at.priority) : nullptr;
    if (!p) {
      if (!st.ext && divert("i", "INVALID_EXTEN", at.exten)) continue;
      log(LogLevel::Verbose, kLog, ch.name(), ": no priority ", place(at), ", dialplan ends");
      say(cat("no priority ", place(at), ": the dialplan ends and the call is hung up"));
      co_return;
    }
    auto text = expand_with(ch, st.plan.get(), p->args);
    if (!text) {
      log(LogLevel::Error, kLog, p->pos.str(), ": ", ch.name(), ": ", text.message(),
          st.in_e ? "; hanging up" : "");
      say(cat(place(at), " ", p->app, "(", p->args, "): error: ", text.message()));
      if (!st.in_e && divert("e", "EXCEPTION", text.message())) {
        st.in_e = true;
        continue;
      }
      ch.hangup(HangupCause::Failure);
      co_return;
    }
    std::string step_line = cat("[", place(at), "] ", p->app, "(", *text, ")");
    if (st.trace || (any_trace_.load(std::memory_order_relaxed) && traced(ch))) {
      log(LogLevel::Notice, "trace", ch.name(), " ", step_line, "  ", p->pos.str());
      core_.events().publish(Event{"DialplanTrace", 0, {}}
                                 .add("channel", ch.name())
                                 .add("context", at.context)
                                 .add("exten", at.exten)
                                 .add("priority", std::to_string(at.priority))
                                 .add("application", p->app)
                                 .add("arguments", *text)
                                 .add("source", p->pos.str()));
    }
    say(step_line);
    // A dry run changes nothing outside its scratch channel: no GLOBAL() or DB() writes.
    bool shared_write = iequals(p->app, "set") && (text->find("GLOBAL(") != std::string::npos ||
                                                   text->find("DB(") != std::string::npos ||
                                                   text->find("DB_DELETE(") != std::string::npos);
    if (st.dry_run && iequals(p->app, "execif")) {
      // ExecIf: what it would run decides, as if that application stood here.
      Choice c = split_choice(*text);
      std::string chosen = expression_true(c.condition) ? c.if_true : c.if_false;
      std::string name = chosen.substr(0, chosen.find('('));
      if (!name.empty() && ends_route(name)) {
        say(cat("the call ends up here: ", chosen, " at ", place(at)));
        co_return;
      }
      if (name.empty() || !steers_only(name)) {
        ++at.priority;
        continue;
      }
    } else if (st.dry_run && (!steers_only(p->app) || shared_write)) {
      if (ends_route(p->app)) {
        say(cat("the call ends up here: ", p->app, "(", *text, ") at ", place(at)));
        co_return;
      }
      ++at.priority;  // answering, playing, waiting: not done in a dry run
      continue;
    }
    AppResult result;
    {
      Pinned<Application> app = core_.find_application(p->app);
      if (!app) {
        log(LogLevel::Error, kLog, p->pos.str(), ": ", ch.name(), ": no application '", p->app,
            "' (is its module loaded?); hanging up");
        say(cat("error: no application '", p->app, "'"));
        ch.hangup(HangupCause::Failure);
        co_return;
      }
      AppArgs args = split_app_arguments(*text);
      // Asterisk's wording, which operators grep for.
      log(LogLevel::Verbose, kLog, "Executing [", place(at), "] ", p->app, "(\"", ch.name(), "\", \"", *text,
          "\")");
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
        say(cat(p->app, " ends the dialplan at ", place(at)));
        co_return;
      case AppResult::Jumped: {
        const CompiledExtension* same = st.plan->match(at.context, at.exten, now(ch));
        if (same != st.ext || !same) {
          auto plan = snapshot();
          if (!plan) co_return;
          st.plan = plan;
          st.ext = plan->match(at.context, at.exten, now(ch));
          if (!st.ext) {
            if (divert("i", "INVALID_EXTEN", at.exten)) break;
            log(LogLevel::Warning, kLog, ch.name(), ": jumped to ", place(at),
                ", which does not exist; dialplan ends");
          }
        }
        break;
      }
    }
  }
}

}  // namespace zvon
