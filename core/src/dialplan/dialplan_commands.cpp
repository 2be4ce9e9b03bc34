// `dialplan reload` and `dialplan show [context | exten@context]`. The core loop.
#include <algorithm>
#include <cstdio>
#include <map>

#include "console/command_registry.h"
#include "core_impl.h"
#include "device_state_registry.h"
#include "dialplan/dialplan_engine_impl.h"
#include "zvon/extension_collector.h"
#include "zvon/log.h"

namespace zvon {

std::pair<std::string, int> DialplanEngineImpl::reload_with_reply() {
  auto r = reload();
  if (!r)
    return {cat("Dialplan not reloaded (the running dialplan stays): ", file().string(), "\n",
                r.message(), "\n"),
            1};
  auto plan = snapshot();
  return {cat("Dialplan reloaded: ", plan->contexts.size(), " contexts, ", plan->extension_count(),
              " extensions\n"),
          0};
}

namespace {

void show_extension(const CompiledExtension& e, CommandOutput& out) {
  out.line(cat("  '", e.name, "' =>"));
  for (auto& [number, p] : e.priorities) {
    std::string step = cat(number, ".");
    if (!p.label.empty()) step += cat(" (", p.label, ")");
    std::string call = cat(p.app, "(", p.args, ")");
    std::string line = cat("      ", step);
    line.resize(std::max<size_t>(line.size() + 1, 22), ' ');
    line += call;
    line.resize(std::max<size_t>(line.size() + 2, 60), ' ');
    line += cat("[", p.pos.file.substr(p.pos.file.rfind('/') + 1), ":", p.pos.line, "]");
    out.line(line);
  }
}

// Exact extensions sorted by name, then patterns in the order they are tried.
size_t show_context(const CompiledContext& c, CommandOutput& out, std::string_view only_exten) {
  std::vector<const CompiledExtension*> list;
  if (!only_exten.empty()) {
    if (auto* e = c.match(only_exten)) list.push_back(e);
  } else {
    for (auto& [name, e] : c.exact) list.push_back(&e);
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (auto& e : c.patterns) list.push_back(&e);
  }
  if (list.empty()) return 0;
  out.line(cat("[ Context '", c.name, "' ]  ", c.pos.str()));
  for (auto* e : list) show_extension(*e, out);
  out.line("");
  return list.size();
}

}  // namespace

std::vector<Registration> DialplanEngineImpl::register_commands(CommandRegistry& commands) {
  std::vector<Registration> out;
  auto add = [&](ConsoleCommand c) {
    auto r = commands.add(std::move(c), "core");
    if (r)
      out.push_back(std::move(*r));
    else
      log(LogLevel::Error, "dialplan", r.message());
  };

  ConsoleCommand reload_cmd;
  reload_cmd.words = {"dialplan", "reload"};
  reload_cmd.summary = "Re-reads extensions.conf; on errors the running dialplan stays";
  reload_cmd.run = [this](const std::vector<std::string>&, CommandOutput& o) {
    auto [text, status] = reload_with_reply();
    o.write(text);
    return status;
  };
  // A 100,000-line dialplan takes most of a second to compile: off the core loop, so that
  // the console, module commands and the pgsql pool go on meanwhile.
  reload_cmd.run_later = [this](const std::vector<std::string>&,
                                std::function<void(std::string, int)> done) {
    if (reloading_.exchange(true)) {
      done("A dialplan reload is running already; the running dialplan stays until it ends\n", 1);
      return;
    }
    if (reload_thread_.joinable()) reload_thread_.join();  // the last one, ended
    Loop& core_loop = core_.loops().core();
    reload_thread_ = std::thread([this, &core_loop, done = std::move(done)]() mutable {
      auto [text, status] = reload_with_reply();
      reloading_ = false;
      core_loop.post([done = std::move(done), text = std::move(text), status] { done(text, status); });
    });
  };
  add(std::move(reload_cmd));

  ConsoleCommand show;
  show.words = {"dialplan", "show"};
  show.arguments = "[context | exten@context]";
  show.summary = "Shows the running dialplan, a context of it, or what an extension runs";
  show.run = [this](const std::vector<std::string>& args, CommandOutput& o) {
    auto plan = snapshot();
    if (!plan) {
      o.line("No dialplan is loaded");
      return 1;
    }
    std::string context, exten;
    if (!args.empty()) {
      const std::string& a = args[0];
      size_t at = a.find('@');
      if (at == std::string::npos) {
        context = a;
      } else {
        exten = a.substr(0, at);
        context = a.substr(at + 1);
      }
    }
    size_t shown = 0, contexts = 0;
    for (auto& name : plan->context_names()) {
      if (!context.empty() && name != context) continue;
      size_t n = show_context(*plan->context(name), o, exten);
      shown += n;
      if (n) ++contexts;
    }
    if (!context.empty() && !plan->context(context)) {
      o.line(cat("There is no context [", context, "]"));
      return 1;
    }
    if (!exten.empty() && shown == 0) {
      o.line(cat("No extension in [", context, "] matches '", exten, "'"));
      return 1;
    }
    o.line(cat("-= ", shown, " extensions in ", contexts, " contexts =-"));
    return 0;
  };
  show.complete = [this](const std::vector<std::string>& args, std::string_view partial) {
    std::vector<std::string> out;
    if (!args.empty()) return out;
    if (auto plan = snapshot())
      for (auto& name : plan->context_names())
        if (name.starts_with(partial)) out.push_back(name);
    return out;
  };
  add(std::move(show));

  ConsoleCommand db_show;
  db_show.words = {"db", "show"};
  db_show.arguments = "[family]";
  db_show.summary = "The DB() key/value store (where it lives, its queued writes), or one family of it";
  db_show.run = [this](const std::vector<std::string>& args, CommandOutput& o) {
    auto store = key_value_store();
    if (!store) {
      o.line("db show: the store could not be opened (see the log)");
      return 1;
    }
    for (auto& line : store->describe()) o.line(line);
    auto entries = store->list(args.empty() ? std::string_view() : std::string_view(args[0]));
    if (!entries) {
      o.line(cat("db show: ", entries.message()));
      return 1;
    }
    for (auto& e : *entries) o.line(cat("/", e.family, "/", e.key, " : ", e.value));
    o.line(cat(entries->size(), " result", entries->size() == 1 ? "" : "s", " found."));
    return 0;
  };
  add(std::move(db_show));

  ConsoleCommand check_cmd;
  check_cmd.words = {"dialplan", "check"};
  check_cmd.arguments = "[FILE]";
  check_cmd.summary = "Finds every error in a dialplan file without loading it";
  check_cmd.run = [this](const std::vector<std::string>& args, CommandOutput& o) {
    std::filesystem::path path = args.empty() ? file() : std::filesystem::path(args[0]);
    if (path.is_relative() && !args.empty() && !std::filesystem::exists(path))
      path = file().parent_path() / path;
    auto errors = check(path);
    for (auto& e : errors) o.line(e.str());
    if (errors.empty()) {
      o.line(cat(path.string(), ": no errors found"));
      return 0;
    }
    o.line(cat(errors.size(), errors.size() == 1 ? " error" : " errors", " in ", path.string()));
    return 1;
  };
  add(std::move(check_cmd));

  ConsoleCommand trace;
  trace.words = {"dialplan", "trace"};
  trace.arguments = "on|off CHANNEL|all";
  trace.summary = "Logs every priority a channel runs, with its expanded arguments";
  trace.run = [this](const std::vector<std::string>& args, CommandOutput& o) {
    if (args.size() != 2 || (args[0] != "on" && args[0] != "off")) {
      o.line("Usage: dialplan trace on|off CHANNEL|all");
      return 1;
    }
    set_trace(args[1], args[0] == "on");
    o.line(cat("Dialplan trace ", args[0], " for ", args[1] == "all" ? "every channel" : args[1]));
    return 0;
  };
  trace.complete = [](const std::vector<std::string>& args, std::string_view partial) {
    std::vector<std::string> out;
    if (args.empty())
      for (std::string w : {"on", "off"})
        if (w.starts_with(partial)) out.push_back(w);
    return out;
  };
  add(std::move(trace));

  ConsoleCommand hints;
  hints.words = {"dialplan", "show", "hints"};
  hints.summary = "Lists the hints (exten => NAME,hint,DEVICES) of the running dialplan, with their state and watchers";
  hints.run = [this](const std::vector<std::string>&, CommandOutput& o) {
    auto plan = snapshot();
    if (!plan) {
      o.line("No dialplan is loaded");
      return 1;
    }
    // The state and watchers (SUBSCRIBEd phones) of each hint, from the core's device states.
    std::map<std::string, HintStatus> status;
    if (auto* impl = dynamic_cast<CoreImpl*>(&core_))
      for (auto& s : impl->device_state_registry().hints()) status[cat(s.hint.exten, "@", s.hint.context)] = s;
    size_t n = 0;
    for (auto& name : plan->context_names()) {
      const CompiledContext& c = *plan->context(name);
      std::vector<const CompiledHint*> list;
      for (auto& [exten, h] : c.hints) list.push_back(&h);
      std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->exten < b->exten; });
      for (auto* h : list) {
        std::string line = cat(h->exten, "@", name);
        line.resize(std::max<size_t>(line.size() + 1, 24), ' ');
        line += cat("=> ", h->devices);
        line.resize(std::max<size_t>(line.size() + 2, 52), ' ');
        line += cat(h->pos.file.substr(h->pos.file.rfind('/') + 1), ":", h->pos.line);
        if (auto s = status.find(cat(h->exten, "@", name)); s != status.end()) {
          line.resize(std::max<size_t>(line.size() + 2, 72), ' ');
          line += cat("State:", to_string(s->second.state), "  Watchers:", s->second.watchers);
        }
        o.line(line);
        ++n;
      }
    }
    o.line(cat(n, n == 1 ? " hint" : " hints"));
    return 0;
  };
  add(std::move(hints));

  ConsoleCommand route_cmd;
  route_cmd.words = {"dialplan", "route"};
  route_cmd.arguments =
      "CONTEXT EXTEN [caller=NUM] [at=\"YYYY-MM-DD HH:MM [Zone/Name]\"] [digits=KEYS[,KEYS...]]";
  route_cmd.summary = "Dry run: which priorities a call would run and where it would end up";
  route_cmd.run = [this](const std::vector<std::string>& args, CommandOutput& o) {
    if (args.size() < 2) {
      o.line("Usage: dialplan route CONTEXT EXTEN [caller=NUM] [at=\"2026-12-31 19:05 Europe/Moscow\"] "
             "[digits=1,2#]");
      return 1;
    }
    std::string caller;
    std::optional<std::time_t> at;
    std::vector<std::string> digits;
    for (size_t i = 2; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a.starts_with("caller=")) {
        caller = a.substr(7);
      } else if (a.starts_with("digits=")) {
        // One group per menu the call meets: "1,2#" or "1 2#".
        std::string group;
        for (char c : a.substr(7) + ",") {
          if (c == ',' || c == ' ') {
            if (!group.empty()) digits.push_back(std::move(group));
            group.clear();
          } else if (kDtmfSymbols.find(char(std::toupper(static_cast<unsigned char>(c)))) !=
                     std::string_view::npos) {
            group += char(std::toupper(static_cast<unsigned char>(c)));
          } else {
            o.line(cat("digits=: '", std::string(1, c), "' is not a key (0-9 * # A-D); separate "
                       "the menu choices with ',' or ' '"));
            return 1;
          }
        }
      } else if (a.starts_with("at=")) {
        auto t = parse_route_time(a.substr(3));
        if (!t) {
          o.line(t.message());
          return 1;
        }
        at = *t;
      } else {
        o.line(cat("Unknown argument '", a,
                   "': use caller=NUM, at=\"YYYY-MM-DD HH:MM [Zone]\" or digits=1,2#"));
        return 1;
      }
    }
    auto lines = route(args[0], args[1], caller, at, std::move(digits));
    for (auto& l : lines) o.line(l);
    return 0;
  };
  add(std::move(route_cmd));
  return out;
}

Result<std::time_t> parse_route_time(std::string_view text) {
  // "YYYY-MM-DD HH:MM[:SS] [Zone/Name]"
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char zone[128] = {};
  std::string t(text);
  int n = std::sscanf(t.c_str(), "%d-%d-%d %d:%d:%d %127s", &y, &mo, &d, &h, &mi, &se, zone);
  if (n < 6) {
    se = 0;
    zone[0] = 0;
    n = std::sscanf(t.c_str(), "%d-%d-%d %d:%d %127s", &y, &mo, &d, &h, &mi, zone);
    if (n < 5)
      return make_error(cat("at='", text, "' is not \"YYYY-MM-DD HH:MM [Zone/Name]\""));
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59)
    return make_error(cat("at='", text, "': the date or time is out of range"));
  auto z = TimeZone::load(zone);
  if (!z) return z.error();
  LocalTime l;
  l.year = y;
  l.month = mo;
  l.mday = d;
  l.hour = h;
  l.minute = mi;
  l.second = se;
  return (*z)->to_utc(l);
}

}  // namespace zvon
