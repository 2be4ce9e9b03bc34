// `dialplan reload` and `dialplan show [context | exten@context]`. The core loop.
#include <algorithm>

#include "console/command_registry.h"
#include "dialplan/dialplan_engine_impl.h"
#include "zvon/log.h"

namespace zvon {

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
    auto r = reload();
    if (!r) {
      o.line(cat("Dialplan not reloaded (the running dialplan stays): ", file().string()));
      o.line(r.message());
      return 1;
    }
    auto plan = snapshot();
    o.line(cat("Dialplan reloaded: ", plan->contexts.size(), " contexts, ",
               plan->extension_count(), " extensions"));
    return 0;
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
  return out;
}

}  // namespace zvon
