// GotoIf(condition?[[context,]exten,]priority[:[[context,]exten,]priority]) and
// ExecIf(condition?App(args)[:App(args)]): the dialplan's two-way branches. The condition is
// usually a $[...] expression, already evaluated when these run: "" and 0 are false.
#include <cstdlib>

#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(0, 1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

bool is_true(const std::string& v) {
  std::string t = trim(v);
  if (t.empty()) return false;
  char* end = nullptr;
  double n = std::strtod(t.c_str(), &end);
  if (end && *end == '\0' && t.find_first_not_of("+-0123456789.") == std::string::npos) return n != 0;
  return true;
}

// "cond?a:b": the split at the first '?' and the first ':' after it, outside parentheses.
struct Branches {
  std::string condition, if_true, if_false;
};
Branches split(const AppArgs& args) {
  std::string text;
  for (size_t i = 0; i < args.size(); ++i) text += (i ? "," : "") + args[i];
  Branches b;
  int depth = 0;
  size_t q = std::string::npos, colon = std::string::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')' && depth) --depth;
    if (depth) continue;
    if (text[i] == '?' && q == std::string::npos) q = i;
    else if (text[i] == ':' && q != std::string::npos && colon == std::string::npos) colon = i;
  }
  if (q == std::string::npos) {
    b.condition = text;
    return b;
  }
  b.condition = text.substr(0, q);
  b.if_true = trim(text.substr(q + 1, colon == std::string::npos ? std::string::npos : colon - q - 1));
  if (colon != std::string::npos) b.if_false = trim(text.substr(colon + 1));
  return b;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t c = s.find(',', start);
    out.push_back(trim(s.substr(start, c == std::string::npos ? std::string::npos : c - start)));
    if (c == std::string::npos) return out;
    start = c + 1;
  }
}

class GotoIf final : public InstantApplication {
 public:
  std::string_view name() const override { return "GotoIf"; }
  std::string_view synopsis() const override { return "Jumps to one of two places depending on a condition"; }
  std::string_view usage() const override {
    return "GotoIf(condition?[[context,]exten,]priority[:[[context,]exten,]priority])";
  }
  AppResult run(Channel& channel, const AppArgs& args) override {
    Branches b = split(args);
    if (b.if_true.empty() && b.if_false.empty()) {
      log(LogLevel::Error, "app_gotoif", channel.name(), ": GotoIf(", b.condition, "): no target: ", usage());
      return AppResult::Stop;
    }
    const std::string& where = is_true(b.condition) ? b.if_true : b.if_false;
    if (where.empty()) return AppResult::Continue;  // no target for this outcome: go on
    auto parts = split_commas(where);
    DialplanLocation target = channel.location();
    if (parts.size() == 2) target.exten = parts[0];
    if (parts.size() == 3) {
      target.context = parts[0];
      target.exten = parts[1];
    }
    if (parts.size() > 3) {
      log(LogLevel::Error, "app_gotoif", channel.name(), ": GotoIf target '", where, "': ", usage());
      return AppResult::Stop;
    }
    auto& dialplan = channel.core().dialplan();
    if (!dialplan.exists(target.context, target.exten)) {
      // As Asterisk: the engine sends the call to the context's i extension, or ends it.
      target.priority = 1;
      channel.location() = std::move(target);
      return AppResult::Jumped;
    }
    auto number = dialplan.find_priority(target.context, target.exten, parts.back());
    if (!number) {
      log(LogLevel::Error, "app_gotoif", channel.name(), ": GotoIf(", where, "): ", number.message());
      return AppResult::Stop;
    }
    target.priority = *number;
    channel.location() = std::move(target);
    return AppResult::Jumped;
  }
};

class ExecIf final : public Application {
 public:
  std::string_view name() const override { return "ExecIf"; }
  std::string_view synopsis() const override { return "Runs one of two applications depending on a condition"; }
  std::string_view usage() const override { return "ExecIf(condition?App(args)[:App(args)])"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    Branches b = split(args);
    const std::string& call = is_true(b.condition) ? b.if_true : b.if_false;
    if (call.empty()) co_return AppResult::Continue;
    size_t open = call.find('(');
    std::string app_name = trim(call.substr(0, open));
    std::string inner;
    if (open != std::string::npos) {
      if (call.back() != ')') {
        log(LogLevel::Error, "app_gotoif", channel.name(), ": ExecIf: '", call, "' is missing its ')'");
        co_return AppResult::Stop;
      }
      inner = call.substr(open + 1, call.size() - open - 2);
    }
    auto app = channel.core().find_application(app_name);
    if (!app) {
      log(LogLevel::Error, "app_gotoif", channel.name(), ": ExecIf: no application '", app_name,
          "' (is its module loaded?)");
      co_return AppResult::Stop;
    }
    AppArgs inner_args = inner.empty() ? AppArgs{} : split_commas(inner);
    co_return co_await app->exec(channel, inner_args);
  }
};

using GotoIfModule = ApplicationModule<GotoIf, ExecIf>;

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_gotoif", "GotoIf(), ExecIf(): conditional branches", "", zvon::GotoIfModule::load)
