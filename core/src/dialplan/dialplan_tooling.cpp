// `dialplan check` and `dialplan route`: finding mistakes before a caller does. The core loop
// (route runs its scratch channel on a worker and waits for it, bounded).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "dialplan/dialplan_engine_impl.h"
#include "zvon/log.h"
#include "zvon/text.h"

namespace zvon {

namespace {

bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The edit distance, for "did you mean".
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (same ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = 3;
  for (auto& k : known) {
    size_t d = distance(name, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best.empty() ? "" : cat(" (did you mean ", best, "?)");
}

std::vector<std::string> split_top(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')' && depth) --depth;
    if (c == sep && !depth) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& p : out) {
    while (!p.empty() && p.front() == ' ') p.erase(0, 1);
    while (!p.empty() && p.back() == ' ') p.pop_back();
  }
  return out;
}

// Does the driver nothing: `dialplan route` runs the dialplan on a channel that calls no one.
class NullDriver final : public ChannelDriver {
 public:
  void call() override {}
  void ring() override {}
  void progress() override {}
  void answer() override {}
  void hangup(HangupCause) override {}
  MediaEndpoint* media() override { return nullptr; }
};

}  // namespace

std::vector<DialplanError> DialplanEngineImpl::check(const std::filesystem::path& file) {
  auto compiled = compile_dialplan_file(file);
  std::vector<DialplanError> out = compiled.errors;
  if (!compiled.ok()) return out;
  const CompiledDialplan& plan = *compiled.plan;
  std::vector<std::string> apps = core_.application_names();

  // Which function names does the core know? Ask the registry for each name seen.
  auto check_functions = [&](const CompiledPriority& p, std::string_view text) {
    for (size_t i = 0; i + 1 < text.size(); ++i) {
      if (text[i] != '$' || text[i + 1] != '{') continue;
      size_t j = i + 2;
      while (j < text.size() && is_ident(text[j])) ++j;
      if (j < text.size() && text[j] == '(' && j > i + 2) {
        std::string name(text.substr(i + 2, j - i - 2));
        if (!core_.find_function(name))
          out.push_back({p.pos, cat("unknown function ", name, "() in ", p.app,
                                    "(): is its module loaded, or is the name misspelt?")});
      }
    }
  };
  // A jump target written without variables must exist: [[context,]exten,]priority.
  auto check_target = [&](const CompiledPriority& p, const std::string& context,
                          const std::string& exten, std::string target) {
    if (target.empty() || target.find('$') != std::string::npos) return;
    if (size_t open = target.find('('); open != std::string::npos) target.resize(open);
    auto parts = split_top(target, ',');
    std::string c = context, e = exten;
    if (parts.size() == 2) e = parts[0];
    if (parts.size() == 3) {
      c = parts[0];
      e = parts[1];
    }
    if (parts.size() > 3) {
      out.push_back({p.pos, cat(p.app, "(): target '", target, "' has more than 3 parts: [[context,]exten,]priority")});
      return;
    }
    const CompiledContext* ctx = plan.context(c);
    if (!ctx) {
      out.push_back({p.pos, cat(p.app, "(): no context [", c, "] for target '", target, "'")});
      return;
    }
    const CompiledExtension* ext = nullptr;
    std::time_t now = std::time(nullptr);
    ext = plan.match(c, e, now);
    if (!ext) {
      // A time-conditional include may hide it right now: try with includes regardless of time.
      for (auto& inc : ctx->includes)
        if (auto* x = plan.match(inc.context, e, now)) ext = x;
    }
    if (!ext) {
      out.push_back({p.pos, cat(p.app, "(): no extension '", e, "' in [", c, "] for target '",
                                target, "'")});
      return;
    }
    if (!ext->resolve(parts.back())) {
      std::vector<std::string> labels;
      for (auto& [l, n] : ext->labels) labels.push_back(l);
      out.push_back({p.pos, cat(p.app, "(): no priority or label '", parts.back(), "' in extension '",
                                ext->name, "' of [", c, "]", did_you_mean(parts.back(), labels))});
    }
  };

  auto check_extension = [&](const CompiledContext& ctx, const CompiledExtension& ext) {
    int previous = 0;
    const CompiledPriority* before = nullptr;
    for (auto& [number, p] : ext.priorities) {
      bool known = false;
      for (auto& a : apps) known = known || iequals(a, p.app);
      if (!known)
        out.push_back({p.pos, cat("unknown application '", p.app, "'", did_you_mean(p.app, apps),
                                  "; is its module loaded?")});
      check_functions(p, p.args);
      if (size_t eq = p.args.find('='); iequals(p.app, "set") && eq != std::string::npos) {
        std::string left = p.args.substr(0, eq);
        if (size_t open = left.find('('); open != std::string::npos && left.find('$') == std::string::npos) {
          std::string name = left.substr(0, open);
          if (!core_.find_function(name))
            out.push_back({p.pos, cat("unknown function ", name, "() assigned in Set(): is its module loaded?")});
        }
      }
      // Jumps: Goto(target), GotoIf(cond?a:b), Gosub(target(args)), GosubIf, GotoIfTime.
      std::string ctx_name = ctx.name, exten_name = is_pattern(ext.name) ? "" : ext.name;
      if (iequals(p.app, "goto") || iequals(p.app, "gosub")) {
        if (!exten_name.empty() || split_top(p.args, ',').size() > 1)
          check_target(p, ctx_name, exten_name, p.args);
      } else if (iequals(p.app, "gotoif") || iequals(p.app, "gosubif") || iequals(p.app, "gotoiftime")) {
        size_t q = p.args.rfind('?');
        if (q != std::string::npos) {
          auto choices = split_top(p.args.substr(q + 1), ':');
          for (auto& t : choices)
            if (!t.empty() && (!exten_name.empty() || split_top(t, ',').size() > 1))
              check_target(p, ctx_name, exten_name, t);
        }
      }
      // Unreachable: after a gap in the numbers, or after a priority that always leaves,
      // with no label that a Goto could name.
      if (before && p.label.empty()) {
        bool leaves = iequals(before->app, "goto") || iequals(before->app, "hangup") ||
                      iequals(before->app, "return") || iequals(before->app, "busy") ||
                      iequals(before->app, "congestion");
        if (number != previous + 1)
          out.push_back({p.pos, cat("unreachable priority ", number, " of extension '", ext.name,
                                    "' in [", ctx.name, "]: priority ", previous + 1,
                                    " does not exist, so the dialplan ends before it (use 'n', or give it a label)")});
        else if (leaves)
          out.push_back({p.pos, cat("unreachable priority ", number, " of extension '", ext.name,
                                    "' in [", ctx.name, "]: ", before->app,
                                    "() before it never continues (give it a label if a Goto should reach it)")});
      }
      previous = number;
      before = &p;
    }
  };
  for (auto& name : plan.context_names()) {
    const CompiledContext& ctx = *plan.context(name);
    std::vector<const CompiledExtension*> list;
    for (auto& [n, e] : ctx.exact) list.push_back(&e);
    for (auto& e : ctx.patterns) list.push_back(&e);
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->pos.line < b->pos.line; });
    for (auto* e : list) check_extension(ctx, *e);
  }
  std::stable_sort(out.begin(), out.end(), [](const DialplanError& a, const DialplanError& b) {
    return a.pos.file == b.pos.file ? a.pos.line < b.pos.line : a.pos.file < b.pos.file;
  });
  return out;
}

std::vector<std::string> DialplanEngineImpl::route(const std::string& context, const std::string& exten_in,
                                                   const std::string& caller,
                                                   std::optional<std::time_t> at,
                                                   std::vector<std::string> digits) {
  std::vector<std::string> lines;
  auto plan = snapshot();
  if (!plan) return {"No dialplan is loaded"};
  std::string exten = exten_in.empty() ? "s" : exten_in;
  std::time_t when = at ? *at : std::time(nullptr);
  if (!plan->context(context)) return {cat("There is no context [", context, "]")};
  if (!plan->match(context, exten, when))
    return {cat("No extension in [", context, "] matches '", exten,
                "': the call would be refused as unallocated (404 Not Found)")};
  Loop& loop = core_.loops().worker(0);
  std::shared_ptr<Channel> ch;
  bool done = false;  // the worker's thread writes it; read there too
  loop.run_sync([&] {
    ch = Channel::create(core_, loop, "ROUTE", caller.empty() ? "dry-run" : caller,
                         Direction::Inbound, {});
    ch->set_driver(std::make_unique<NullDriver>());
    ch->caller().number = caller;
    ch->set_dialed(exten);
    ch->location() = DialplanLocation{context, exten, 1};
    Run* run = add_run(ch);
    run->state.plan = plan;
    run->state.dry_run = &lines;
    run->state.fixed_now = when;
    run->state.dry_digits = std::move(digits);
    Channel* key = ch.get();
    run->task = this->run(ch, &run->state);
    run->task.start([this, key, &done](std::exception_ptr error) {
      finished(key, error);
      done = true;
    });
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool finished_in_time = false;
  for (;;) {
    bool d = false;
    loop.run_sync([&] { d = done; });
    if (d) {
      finished_in_time = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      // Stop it: the hang-up ends the run at its next step.
      loop.run_sync([&] { ch->hangup(HangupCause::Normal); });
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  loop.run_sync([&] {
    if (!ch->hung_up()) ch->hangup(HangupCause::Normal);
    ch.reset();
  });
  if (!finished_in_time) lines.push_back("the dry run was stopped");
  return lines;
}

}  // namespace zvon
