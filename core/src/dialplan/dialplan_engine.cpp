#include "dialplan/dialplan_engine_impl.h"

#include <climits>

#include "core_impl.h"
#include "dialplan/app_arguments.h"
#include "dialplan/dialplan_compiler.h"
#include "dialplan/variable_expander.h"
#include "dialplan/expression.h"
#include "dialplan/builtin_functions.h"
#include "dialplan/device_state_functions.h"
#include "device_state_registry.h"
#include "zvon/extension_collector.h"
#include "zvon/log.h"
#include "zvon/text.h"

namespace zvon {

namespace {

constexpr std::string_view kLog = "dialplan";
constexpr unsigned kStepsPerTurn = 64;

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
    applications_ = &reg.applications;
    auto r = reg.functions.add(callerid_.name(), callerid_, reg.core_usage);
    if (r)
      callerid_registration_ = std::move(*r);
    else
      log(LogLevel::Warning, kLog, "built-in CALLERID(): ", r.message());
    if (auto added = reg.functions.add(hint_.name(), hint_, reg.core_usage))
      builtin_registrations_.push_back(std::move(*added));
    else
      log(LogLevel::Warning, kLog, "built-in HINT(): ", added.message());
    functions_ = std::make_unique<BuiltinFunctions>(*this);
    for (auto& fn : make_device_state_functions(core.device_states())) functions_->all().push_back(std::move(fn));
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
  if (reload_thread_.joinable()) reload_thread_.join();
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
    old = std::exchange(current_, plan);
  }
  // The hints' states follow the plan in use.
  if (auto* impl = dynamic_cast<CoreImpl*>(&core_); impl && plan) {
    std::vector<HintDefinition> hints;
    for (auto& name : plan->context_names())
      for (auto& [exten, h] : plan->context(name)->hints) hints.push_back({h.exten, name, h.devices});
    impl->device_state_registry().set_hints(std::move(hints));
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

DigitMatch DialplanEngineImpl::lookahead(std::string_view context, std::string_view exten) const {
  auto plan = snapshot();
  return plan ? plan->lookahead(context, exten, std::time(nullptr)) : DigitMatch{};
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

Application* DialplanEngineImpl::application(RunState& st, const CompiledPriority& p,
                                             Pinned<Application>& uncached) {
  auto ask_registry = [&] {
    uncached = core_.find_application(p.app);
    return uncached.get();
  };
  if (!applications_) return ask_registry();
  if (st.apps_of != st.plan.get()) {
    st.release_pins();
    st.apps.assign(st.plan->app_names.size(), CachedApplication{});
    st.apps_of = st.plan.get();
  }
  if (p.app_id >= st.apps.size()) return ask_registry();
  CachedApplication& c = st.apps[p.app_id];
  if (c.generation != applications_->generation()) {
    if (c.pinned) c.owner->release();
    auto found = applications_->peek(p.app);
    c = CachedApplication{found.generation, found.obj, std::move(found.owner)};
  }
  if (!c.app) return ask_registry();
  if (!c.pinned) {
    if (!c.owner->try_acquire()) return ask_registry();
    // Pinned now; if the registry moved meanwhile the entry may be gone: ask it properly.
    if (c.generation != applications_->generation()) {
      c.owner->release();
      return ask_registry();
    }
    c.pinned = true;
    st.pins.push_back(p.app_id);
  }
  return c.app;
}

ModuleUse DialplanEngineImpl::application_use(RunState& st, const CompiledPriority& p,
                                              const Pinned<Application>& uncached) {
  if (uncached) return uncached.use();
  // The cache's pin keeps the module open: another use of it cannot fail.
  CachedApplication& c = st.apps[p.app_id];
  c.owner->acquire_more();
  return ModuleUse::adopt(c.owner);
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
  std::string scratch;
  auto value = variable_view(channel, name, scratch);
  if (!value) return std::nullopt;
  return std::string(*value);
}

std::optional<std::string_view> DialplanEngineImpl::variable_view(Channel& channel,
                                                                  std::string_view name,
                                                                  std::string& scratch) {
  const DialplanLocation& at = channel.location();
  if (name == "EXTEN") return std::string_view(at.exten);
  if (name == "CONTEXT") return std::string_view(at.context);
  if (name == "PRIORITY") return scratch = std::to_string(at.priority);
  if (name == "UNIQUEID") return channel.unique_id();
  if (name == "CHANNEL") return channel.name();
  if (name == "HANGUPCAUSE") return scratch = std::to_string(int(channel.hangup_cause()));
  if (name == "EPOCH") return scratch = std::to_string(now(channel));
  if (auto v = channel.var(name)) return v;
  // Set(_NAME=...) and Set(__NAME=...) keep the underscores (they say how far the variable is
  // inherited); ${NAME} reads them.
  scratch = cat("_", name);
  if (auto v = channel.var(scratch)) return v;
  scratch.insert(0, 1, '_');
  if (auto v = channel.var(scratch)) return v;
  if (auto v = global(name)) return scratch = std::move(*v);
  return std::nullopt;
}

namespace {

// What split_app_arguments would act on in a substituted value.
bool splits(std::string_view value) {
  for (char c : value)
    if (c == ',' || c == '"' || c == '\\' || c == '(' || c == ')') return true;
  return false;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool DialplanEngineImpl::direct_arguments(Channel& channel, const CompiledPriority& p,
                                          AppArgs& out) {
  // Reuses the strings already in `out`, as split_app_arguments does.
  if (out.size() != p.argument_count) out.resize(p.argument_count);
  for (std::string& argument : out) argument.clear();
  bool any_text = p.argument_count > 1;  // a comma is text
  std::string scratch;
  for (const ArgumentSegment& piece : p.segments) {
    std::string_view value = piece.text;
    if (piece.variable) {
      auto found = variable_view(channel, piece.text, scratch);
      if (!found) continue;
      // Asterisk splits after substituting: a comma in a value makes two arguments.
      if (splits(*found)) return false;
      value = *found;
    }
    out[piece.argument].append(value);
    any_text |= !value.empty();
  }
  // What split_app_arguments does with the text: nothing gives no argument at all, and blanks
  // around an argument go.
  if (!any_text) {
    out.clear();
    return true;
  }
  for (std::string& argument : out) {
    if (argument.empty() || (!blank(argument.front()) && !blank(argument.back()))) continue;
    size_t end = argument.find_last_not_of(" \t");
    argument.erase(end == std::string::npos ? 0 : end + 1);
    argument.erase(0, std::min(argument.find_first_not_of(" \t"), argument.size()));
  }
  return true;
}

void DialplanEngineImpl::join_segments(Channel& channel, const CompiledPriority& p,
                                       std::string& out) {
  out.clear();
  size_t argument = 0;
  std::string scratch;
  for (const ArgumentSegment& piece : p.segments) {
    for (; argument < piece.argument; ++argument) out += ',';
    if (!piece.variable)
      out += piece.text;
    else if (auto value = variable_view(channel, piece.text, scratch))
      out += *value;
  }
  for (; argument + 1 < p.argument_count; ++argument) out += ',';
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
  struct ReleasePins {
    RunState& st;
    ~ReleasePins() { st.release_pins(); }
  } release_pins_at_end{st};
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
    if (!var.empty()) ch.set_var(var, value);
    st.plan = plan;
    st.ext = target;
    at.exten = std::string(name);
    at.priority = 1;
    say(var.empty() ? cat("-> ", name, "@", at.context)
                    : cat("-> ", name, "@", at.context, " (", var, "=", value, ")"));
    return true;
  };
  // `dialplan route ... digits=`: what WaitExten and Read would do with the next key group.
  // Returns false when the dialplan ends here.
  auto menu = [&](const CompiledPriority& p, const std::string& args_text) {
    const bool pressed = st.next_digits < st.dry_digits.size();
    std::string keys = pressed ? st.dry_digits[st.next_digits++] : std::string();
    if (iequals(p.app, "read")) {
      AppArgs a = split_app_arguments(args_text);
      std::string value = keys.substr(0, keys.find('#'));  // '#' ends the input
      int max = a.size() > 2 ? std::atoi(a[2].c_str()) : 0;
      if (max > 0 && value.size() > size_t(max)) value.resize(size_t(max));
      std::string var = a.empty() ? std::string() : a[0];
      if (!var.empty()) ch.set_var(var, value);
      ch.set_var("READSTATUS", pressed ? "OK" : "TIMEOUT");
      say(pressed ? cat("keys '", keys, "': ", var, "=", value)
                  : cat("no keys left: Read times out, ", var, " is empty"));
      ++at.priority;
      return true;
    }
    ExtensionCollector collector([&](std::string_view e) {
      return st.plan->lookahead(at.context, e, now(ch));
    });
    auto action = ExtensionCollector::Action::Wait;
    size_t used = 0;
    while (action == ExtensionCollector::Action::Wait && used < keys.size())
      action = collector.key(keys[used++]);
    if (action == ExtensionCollector::Action::Wait) action = collector.timed_out();
    // Keys typed past the choice are the next menu's, as on a call.
    if (used < keys.size())
      st.dry_digits.insert(st.dry_digits.begin() + long(st.next_digits), keys.substr(used));
    switch (action) {
      case ExtensionCollector::Action::Go:
        if (const CompiledExtension* target = st.plan->match(at.context, collector.exten(), now(ch));
            target && target->priority(1)) {
          say(cat("keys '", keys.substr(0, used), "' dial ", collector.exten(), "@", at.context));
          st.ext = target;
          at.exten = collector.exten();
          at.priority = 1;
          return true;
        }
        [[fallthrough]];
      case ExtensionCollector::Action::Invalid:
        say(cat("keys '", keys.substr(0, used), "': no extension '", collector.dialed(), "' in [",
                at.context, "]"));
        if (divert("i", "INVALID_EXTEN", collector.dialed()) || divert("e", "EXCEPTION", "INVALID"))
          return true;
        break;
      case ExtensionCollector::Action::Timeout:
      case ExtensionCollector::Action::Wait:
        say(cat("no keys left: ", p.app, " times out"));
        if (divert("t", "", "") || divert("e", "EXCEPTION", "RESPONSETIMEOUT")) return true;
        break;
    }
    say(cat("no 'i', 't' or 'e' extension in [", at.context, "]: the call is hung up here"));
    return false;
  };
  auto slice = std::chrono::steady_clock::now();
  for (unsigned step = 1;; ++step) {
    // A dialplan that loops without waiting (`same => n,Goto(1)`) must not starve the other
    // calls of this loop: after 2 ms of running, give the loop a turn. 1 ms, not 0: libuv
    // runs a 0 ms timer started from a timer callback in the same pass, which would not
    // yield. The clock is read every 64 steps only, so short dialplans pay nothing.
    if (step % kStepsPerTurn == 0 &&
        std::chrono::steady_clock::now() - slice >= std::chrono::milliseconds(2)) {
      st.release_pins();
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
    // Priorities mostly run in order, and a large dialplan's are not in the cache, where a miss
    // costs more than running a priority: ask for the lines of the priority three ahead, and
    // for the argument pieces of the one two ahead (whose own lines were asked for before).
    const CompiledPriority* soon =
        at.priority < INT_MAX - 3 ? st.ext->priority(at.priority + 2) : nullptr;
    if (soon) {
      if (!soon->segments.empty()) __builtin_prefetch(soon->segments.data());
      if (const CompiledPriority* later = st.ext->priority(at.priority + 3)) {
        __builtin_prefetch(later);
        __builtin_prefetch(reinterpret_cast<const char*>(later) + 64);
      }
    }
    // Literal arguments are used as compiled; plain ${NAME} pieces go straight into their
    // arguments (or, when a value holds a comma, a quote..., are put together in the run's
    // buffer and split); only the rest ($[...], functions, :offset) goes through the expander.
    const bool split_now =
        !p->literal && !(p->direct && direct_arguments(ch, *p, st.args));
    const bool verbose = log_enabled(LogLevel::Verbose);
    const bool want_text = split_now || verbose || st.trace || st.dry_run ||
                           any_trace_.load(std::memory_order_relaxed);
    if (!p->literal && !p->segments.empty() && want_text) join_segments(ch, *p, st.expanded);
    if (!p->literal && p->segments.empty()) {
      Result<std::string> text = expand_with(ch, st.plan.get(), p->args);
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
      st.expanded = std::move(*text);
    }
    // The arguments as one text, for traces, dry runs and the verbose log (empty otherwise
    // when they went straight into their places).
    const std::string& args_text = p->literal ? p->args : st.expanded;
    const bool tracing = st.trace || (any_trace_.load(std::memory_order_relaxed) && traced(ch));
    std::string step_line;
    if (tracing || st.dry_run) step_line = cat("[", place(at), "] ", p->app, "(", args_text, ")");
    if (tracing) {
      log(LogLevel::Notice, "trace", ch.name(), " ", step_line, "  ", p->pos.str());
      core_.events().publish(Event{"DialplanTrace", 0, {}}
                                 .add("channel", ch.name())
                                 .add("context", at.context)
                                 .add("exten", at.exten)
                                 .add("priority", std::to_string(at.priority))
                                 .add("application", p->app)
                                 .add("arguments", args_text)
                                 .add("source", p->pos.str()));
    }
    say(step_line);
    // A dry run changes nothing outside its scratch channel: no GLOBAL() or DB() writes.
    auto shared_write = [&] {
      return iequals(p->app, "set") && (args_text.find("GLOBAL(") != std::string::npos ||
                                        args_text.find("DB(") != std::string::npos ||
                                        args_text.find("DB_DELETE(") != std::string::npos);
    };
    // Without digits= the menus are passed over, as the other applications that wait.
    if (st.dry_run && !st.dry_digits.empty() &&
        (iequals(p->app, "waitexten") || iequals(p->app, "read"))) {
      if (!menu(*p, args_text)) co_return;
      continue;
    }
    if (st.dry_run && iequals(p->app, "execif")) {
      // ExecIf: what it would run decides, as if that application stood here.
      Choice c = split_choice(args_text);
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
    } else if (st.dry_run && (!steers_only(p->app) || shared_write())) {
      if (ends_route(p->app)) {
        say(cat("the call ends up here: ", p->app, "(", args_text, ") at ", place(at)));
        co_return;
      }
      ++at.priority;  // answering, playing, waiting: not done in a dry run
      continue;
    }
    AppResult result;
    {
      Pinned<Application> uncached;
      Application* app = application(st, *p, uncached);
      if (!app) {
        log(LogLevel::Error, kLog, p->pos.str(), ": ", ch.name(), ": no application '", p->app,
            "' (is its module loaded?); hanging up");
        say(cat("error: no application '", p->app, "'"));
        ch.hangup(HangupCause::Failure);
        co_return;
      }
      // The run's argument vector is reused: its strings keep their memory between priorities.
      if (split_now) split_app_arguments(args_text, st.args);
      const AppArgs& args = p->literal ? p->split : st.args;
      // Asterisk's wording, which operators grep for. place() builds a string: only when shown.
      if (verbose)
        log(LogLevel::Verbose, kLog, "Executing [", place(at), "] ", p->app, "(\"", ch.name(),
            "\", \"", args_text, "\")");
      if (auto instant = app->run_now(ch, args)) {
        // It did not wait, so nothing could see it run: the channel need not name it.
        result = *instant;
      } else {
        // The channel names the application while it waits, and holds its module by that.
        ch.set_application(p->app, application_use(st, *p, uncached));
        st.release_pins();
        struct ClearApplication {
          Channel& ch;
          ~ClearApplication() { ch.clear_application(); }
        } clear{ch};
        result = co_await app->exec(ch, args);
      }
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
