#include "dialplan/control_flow_apps.h"

#include "dialplan/builtin_functions.h"
#include "dialplan/dialplan_engine_impl.h"
#include "dialplan/expression.h"
#include "dialplan/time_spec.h"
#include "zvon/channel.h"
#include "zvon/log.h"

namespace zvon {

namespace {

constexpr std::string_view kLog = "dialplan";

// "[[context,]exten,]priority" as a list of parts, made into a location from `here`.
Result<DialplanLocation> resolve_target(DialplanEngineImpl& engine, const DialplanLocation& here,
                                        const std::vector<std::string>& parts) {
  DialplanLocation target = here;
  if (parts.empty() || parts.size() > 3)
    return make_error("the target must be [[context,]exten,]priority");
  if (parts.size() == 2) target.exten = parts[0];
  if (parts.size() == 3) {
    target.context = parts[0];
    target.exten = parts[1];
  }
  auto number = engine.find_priority(target.context, target.exten, parts.back());
  if (!number) return number.error();
  target.priority = *number;
  return target;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out = split_function_arguments(s);
  for (auto& p : out) {
    while (!p.empty() && p.front() == ' ') p.erase(0, 1);
    while (!p.empty() && p.back() == ' ') p.pop_back();
  }
  return out;
}

std::string join(const AppArgs& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) out += (i ? "," : "") + args[i];
  return out;
}

class AppBase : public Application {
 public:
  AppBase(DialplanEngineImpl& e, std::string_view name, std::string_view synopsis, std::string_view usage)
      : engine_(e), name_(name), synopsis_(synopsis), usage_(usage) {}
  std::string_view name() const override { return name_; }
  std::string_view synopsis() const override { return synopsis_; }
  std::string_view usage() const override { return usage_; }

  // Logs "<channel>: <app><what...>" and stops the dialplan.
  template <class... What>
  AppResult stop(Channel& ch, const What&... what) {
    log(LogLevel::Error, kLog, ch.name(), ": ", name_, what...);
    return AppResult::Stop;
  }
  // The same for arguments that do not fit: with the usage.
  AppResult fail(Channel& ch, std::string_view what) { return stop(ch, ": ", what, " (", usage_, ")"); }

 protected:
  DialplanEngineImpl& engine_;
  std::string_view name_, synopsis_, usage_;
};

// Gosub([[context,]exten,]priority[(arg1[,arg2...])])
class Gosub final : public AppBase {
 public:
  explicit Gosub(DialplanEngineImpl& e)
      : AppBase(e, "Gosub", "Runs a subroutine, with arguments, until its Return()",
                "Gosub([[context,]exten,]priority[(arg1[,...])])") {}
  Task<AppResult> exec(Channel& ch, const AppArgs& args) override {
    co_return call(engine_, ch, args, *this);
  }

  static AppResult call(DialplanEngineImpl& engine, Channel& ch, AppArgs parts, AppBase& app) {
    RunState* st = engine.state(ch);
    if (!st) return AppResult::Stop;
    if (parts.empty() || parts.back().empty()) return app.fail(ch, "no target");
    std::vector<std::string> sub_args;
    std::string& last = parts.back();
    if (size_t open = last.find('('); open != std::string::npos) {
      if (last.back() != ')') return app.stop(ch, ": '", last, "' is missing its ')'");
      std::string inner = last.substr(open + 1, last.size() - open - 2);
      if (!inner.empty()) sub_args = split_function_arguments(inner);
      last = last.substr(0, open);
    }
    if (st->stack.size() >= 64)
      return app.stop(ch, ": more than 64 nested Gosubs (a subroutine calling itself?)");
    auto target = resolve_target(engine, ch.location(), parts);
    if (!target) return app.stop(ch, "(", join(parts), "): ", target.message());
    GosubFrame frame;
    frame.return_to = ch.location();
    ++frame.return_to.priority;
    st->stack.push_back(std::move(frame));
    // ARG1..ARGn and ARGC are LOCAL to the subroutine; the caller's are back after Return().
    auto local = [&](const std::string& name, const std::string& value) {
      auto old = ch.var(name);
      st->stack.back().saved.emplace_back(name, old ? std::optional<std::string>(std::string(*old)) : std::nullopt);
      ch.set_var(name, value);
    };
    for (size_t i = 0; i < sub_args.size(); ++i) local(cat("ARG", i + 1), sub_args[i]);
    // Arguments the caller's own frame had beyond ours must not leak in.
    for (size_t i = sub_args.size() + 1; i <= 9; ++i)
      if (ch.var(cat("ARG", i))) local(cat("ARG", i), "");
    local("ARGC", std::to_string(sub_args.size()));
    ch.location() = *target;
    return AppResult::Jumped;
  }
};

// GosubIf(condition?[[context,]exten,]priority[(args)][:[[context,]exten,]priority[(args)]])
class GosubIf final : public AppBase {
 public:
  explicit GosubIf(DialplanEngineImpl& e)
      : AppBase(e, "GosubIf", "Gosub to one of two places depending on a condition",
                "GosubIf(condition?target if true[:target if false])") {}
  Task<AppResult> exec(Channel& ch, const AppArgs& args) override {
    Choice c = split_choice(join(args));
    const std::string& where = expression_true(c.condition) ? c.if_true : c.if_false;
    if (where.empty()) co_return AppResult::Continue;
    co_return Gosub::call(engine_, ch, split_commas(where), *this);
  }
};

// Return([value]): back to the priority after the Gosub; the value goes into GOSUB_RETVAL.
class Return final : public AppBase {
 public:
  explicit Return(DialplanEngineImpl& e)
      : AppBase(e, "Return", "Returns from a Gosub subroutine", "Return([return value])") {}
  Task<AppResult> exec(Channel& ch, const AppArgs& args) override {
    RunState* st = engine_.state(ch);
    if (!st || st->stack.empty()) co_return fail(ch, "Return() without a Gosub");
    GosubFrame frame = std::move(st->stack.back());
    st->stack.pop_back();
    for (auto it = frame.saved.rbegin(); it != frame.saved.rend(); ++it) {
      if (it->second)
        ch.set_var(it->first, *it->second);
      else
        ch.unset_var(it->first);
    }
    ch.set_var("GOSUB_RETVAL", args.empty() ? "" : join(args));
    ch.location() = frame.return_to;
    co_return AppResult::Jumped;
  }
};

// While/EndWhile/ExitWhile: the pairs were linked when the dialplan compiled (partner).
const CompiledPriority* here(DialplanEngineImpl& e, Channel& ch) {
  RunState* st = e.state(ch);
  if (!st || !st->ext) return nullptr;
  return st->ext->priority(ch.location().priority);
}

class While final : public AppBase {
 public:
  explicit While(DialplanEngineImpl& e)
      : AppBase(e, "While", "Runs the priorities up to EndWhile() while the condition is true",
                "While(condition)") {}
  Task<AppResult> exec(Channel& ch, const AppArgs& args) override {
    if (expression_true(join(args))) co_return AppResult::Continue;
    const CompiledPriority* p = here(engine_, ch);
    if (!p || !p->partner) co_return fail(ch, "no EndWhile() for this While()");
    ch.location().priority = p->partner + 1;
    co_return AppResult::Jumped;
  }
};

class EndWhile final : public AppBase {
 public:
  explicit EndWhile(DialplanEngineImpl& e)
      : AppBase(e, "EndWhile", "Goes back to the While() of the loop", "EndWhile()") {}
  Task<AppResult> exec(Channel& ch, const AppArgs&) override {
    const CompiledPriority* p = here(engine_, ch);
    if (!p || !p->partner) co_return fail(ch, "no While() for this EndWhile()");
    ch.location().priority = p->partner;
    co_return AppResult::Jumped;
  }
};

class ExitWhile final : public AppBase {
 public:
  explicit ExitWhile(DialplanEngineImpl& e)
      : AppBase(e, "ExitWhile", "Leaves the innermost While() loop", "ExitWhile()") {}
  Task<AppResult> exec(Channel& ch, const AppArgs&) override {
    // The innermost While whose loop holds this priority (ExitWhile may run from ExecIf).
    RunState* st = engine_.state(ch);
    int at = ch.location().priority, end = 0, start = 0;
    if (st && st->ext)
      for (auto& [number, p] : st->ext->priorities)
        if (p.partner > number && number < at && p.partner > at && number > start) {
          start = number;
          end = p.partner;
        }
    if (!end) co_return fail(ch, "ExitWhile() outside a While() loop");
    ch.location().priority = end + 1;
    co_return AppResult::Jumped;
  }
};

// GotoIfTime(times,weekdays,mdays,months[,zone]?[[context,]exten,]priority[:...])
class GotoIfTime final : public AppBase {
 public:
  explicit GotoIfTime(DialplanEngineImpl& e)
      : AppBase(e, "GotoIfTime", "Jumps when the time matches (and elsewhere when it does not)",
                "GotoIfTime(times,weekdays,mdays,months[,zone]?[[context,]exten,]priority[:[[context,]exten,]priority])") {}
  Task<AppResult> exec(Channel& ch, const AppArgs& args) override {
    Choice c = split_choice(join(args));
    auto spec = TimeSpec::parse(c.condition);
    if (!spec) co_return fail(ch, spec.message());
    const std::string& where = spec->matches(engine_.now(ch)) ? c.if_true : c.if_false;
    if (where.empty()) co_return AppResult::Continue;
    auto target = resolve_target(engine_, ch.location(), split_commas(where));
    if (!target) co_return fail(ch, cat("'", where, "': ", target.message()));
    ch.location() = *target;
    co_return AppResult::Jumped;
  }
};

}  // namespace

ControlFlowApps::ControlFlowApps(DialplanEngineImpl& engine) {
  apps_.push_back(std::make_unique<Gosub>(engine));
  apps_.push_back(std::make_unique<GosubIf>(engine));
  apps_.push_back(std::make_unique<Return>(engine));
  apps_.push_back(std::make_unique<While>(engine));
  apps_.push_back(std::make_unique<EndWhile>(engine));
  apps_.push_back(std::make_unique<ExitWhile>(engine));
  apps_.push_back(std::make_unique<GotoIfTime>(engine));
}

}  // namespace zvon
