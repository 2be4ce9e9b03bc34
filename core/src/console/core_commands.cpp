#include "console/core_commands.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include "console/build_info.h"
#include "console/text_table.h"
#include "core_impl.h"
#include "zvon/log.h"

namespace zvon {

namespace {

using Args = std::vector<std::string>;
using Words = std::vector<std::string>;

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string plural(int64_t n, std::string_view one, std::string_view many) {
  return cat(n, " ", n == 1 ? one : many);
}

// "1 hour, 2 minutes, 5 seconds": how Asterisk operators read uptimes.
std::string spell_duration(int64_t seconds) {
  struct Unit {
    int64_t size;
    const char* one;
    const char* many;
  };
  static const Unit units[] = {{86400 * 7, "week", "weeks"}, {86400, "day", "days"},
                               {3600, "hour", "hours"},      {60, "minute", "minutes"},
                               {1, "second", "seconds"}};
  std::string out;
  for (auto& u : units) {
    int64_t n = seconds / u.size;
    seconds %= u.size;
    if (n == 0) continue;
    out += (out.empty() ? "" : ", ") + plural(n, u.one, u.many);
  }
  return out.empty() ? "0 seconds" : out;
}

std::string clock_duration(int64_t seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", (long long)(seconds / 3600),
                (long long)(seconds / 60 % 60), (long long)(seconds % 60));
  return buf;
}

std::string local_time(int64_t epoch_seconds) {
  std::time_t t = std::time_t(epoch_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Candidates starting with `partial`.
std::vector<std::string> starting_with(std::vector<std::string> names, std::string_view partial) {
  std::erase_if(names, [&](const std::string& n) { return !n.starts_with(partial); });
  return names;
}

class CoreCommands : public std::enable_shared_from_this<CoreCommands> {
 public:
  explicit CoreCommands(CoreImpl& core) : core_(core) {}

  std::vector<Registration> register_all() {
    // The commands outlive this call: each holds the object it calls.
    auto self = shared_from_this();
    add({"help"}, "[<command words>]", "Lists the commands, or those that start with the words",
        [self](const Args& a, CommandOutput& o) { return self->help(a, o); },
        [self](const Args& a, std::string_view p) { return self->complete_command_words(a, p); });
    add({"core", "show", "version"}, "", "Shows the version of zvon and its module ABI",
        [](const Args& a, CommandOutput& o) {
          if (!a.empty()) return usage(o, "core show version");
          o.line(cat("zvon ", zvon_version(), " (module ABI ", ZVON_ABI_MAJOR, ".", ZVON_ABI_MINOR,
                     ", build ", zvon_build_fingerprint(), ")"));
          return 0;
        });
    add({"core", "show", "uptime"}, "", "Shows how long zvon has been running",
        [self](const Args& a, CommandOutput& o) { return self->uptime(a, o); });
    add({"core", "show", "channels"}, "", "Lists the live channels",
        [self](const Args& a, CommandOutput& o) { return self->show_channels(a, o); });
    add({"core", "show", "channel"}, "<channel>", "Shows everything about one channel",
        [self](const Args& a, CommandOutput& o) { return self->show_channel(a, o); },
        [self](const Args& a, std::string_view p) {
          return a.empty() ? starting_with(self->channel_names(), p) : std::vector<std::string>{};
        });
    add({"core", "show", "applications"}, "", "Lists the dialplan applications",
        [self](const Args& a, CommandOutput& o) { return self->show_applications(a, o); });
    add({"module", "show"}, "[like <pattern>]", "Lists the loaded modules and their use counts",
        [self](const Args& a, CommandOutput& o) { return self->module_show(a, o); },
        [](const Args& a, std::string_view p) {
          return a.empty() ? starting_with({"like"}, p) : std::vector<std::string>{};
        });
    add({"module", "load"}, "<module>", "Loads a module (and the modules it depends on)",
        [self](const Args& a, CommandOutput& o) { return self->module_load(a, o); },
        [self](const Args& a, std::string_view p) {
          return a.empty() ? starting_with(self->unloaded_modules(), p) : std::vector<std::string>{};
        });
    add({"module", "unload"}, "<module>", "Unloads a module nothing uses",
        [self](const Args& a, CommandOutput& o) { return self->module_unload(a, o); },
        [self](const Args& a, std::string_view p) {
          return a.empty() ? starting_with(self->loaded_modules(), p) : std::vector<std::string>{};
        });
    add({"module", "reload"}, "[<module>]",
        "Makes a module (or every module) re-read its configuration",
        [self](const Args& a, CommandOutput& o) { return self->module_reload(a, o); },
        [self](const Args& a, std::string_view p) {
          return a.empty() ? starting_with(self->loaded_modules(), p) : std::vector<std::string>{};
        });
    add({"logger", "set", "level"}, "<debug|verbose|notice|warning|error>",
        "Sets the lowest level of log lines written",
        [](const Args& a, CommandOutput& o) { return logger_set_level(a, o); },
        [](const Args& a, std::string_view p) {
          return a.empty() ? starting_with({"debug", "verbose", "notice", "warning", "error"}, p)
                           : std::vector<std::string>{};
        });
    add({"core", "stop", "now"}, "", "Hangs up every call and stops zvon",
        [self](const Args& a, CommandOutput& o) {
          if (!a.empty()) return usage(o, "core stop now");
          o.line("Stopping zvon");
          log(LogLevel::Notice, "core", "stop requested from the console");
          self->core_.request_shutdown();
          return 0;
        });
    return std::move(registrations_);
  }

 private:
  using RunFn = std::function<int(const Args&, CommandOutput&)>;
  using CompleteFn = std::function<std::vector<std::string>(const Args&, std::string_view)>;

  void add(Words words, std::string arguments, std::string summary, RunFn run,
           CompleteFn complete = nullptr) {
    ConsoleCommand c{std::move(words), std::move(arguments), std::move(summary), std::move(run),
                     std::move(complete)};
    auto r = core_.commands().add(std::move(c), "core");
    if (!r) {
      log(LogLevel::Error, "console", r.message());
      return;
    }
    registrations_.push_back(std::move(*r));
  }

  static int usage(CommandOutput& o, std::string_view syntax) {
    o.line(cat("Usage: ", syntax));
    return 1;
  }

  int help(const Args& a, CommandOutput& o) {
    core_.commands().help(a, o);
    return 0;
  }

  // The next word of every command line that starts with `a`.
  std::vector<std::string> complete_command_words(const Args& a, std::string_view partial) {
    std::vector<std::string> out;
    for (auto& line : core_.commands().command_lines()) {
      auto words = CommandRegistry::split_words(line);
      if (words.size() <= a.size() || !std::equal(a.begin(), a.end(), words.begin())) continue;
      if (words[a.size()].starts_with(partial)) out.push_back(words[a.size()]);
    }
    return out;
  }

  int uptime(const Args& a, CommandOutput& o) {
    if (!a.empty()) return usage(o, "core show uptime");
    using namespace std::chrono;
    int64_t now_ms =
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    int64_t started_ms = int64_t(core_.started_at_ms());
    o.line(cat("System uptime: ", spell_duration(std::max<int64_t>(0, now_ms - started_ms) / 1000)));
    o.line(cat("Started at: ", local_time(started_ms / 1000)));
    return 0;
  }

  int show_channels(const Args& a, CommandOutput& o) {
    if (!a.empty()) return usage(o, "core show channels");
    auto channels = core_.channels().list();
    std::sort(channels.begin(), channels.end(),
              [](auto& x, auto& y) { return x.name < y.name; });
    TextTable table({"Channel", "State", "Location", "Application", "Age"});
    for (auto& c : channels)
      table.add_row({c.name, c.state, c.location, c.application.empty() ? "(none)" : c.application,
                     clock_duration(c.age_seconds)});
    table.print(o);
    o.line(plural(int64_t(channels.size()), "active channel", "active channels"));
    return 0;
  }

  int show_channel(const Args& a, CommandOutput& o) {
    if (a.size() != 1) return usage(o, "core show channel <channel>");
    for (auto& c : core_.channels().list()) {
      if (c.name != a[0]) continue;
      auto field = [&](std::string_view name, std::string_view value) {
        std::string pad(name.size() < 14 ? 14 - name.size() : 1, ' ');
        o.line(cat(" ", name, ":", pad, value.empty() ? "(none)" : value));
      };
      o.line(cat("-- General --"));
      field("Name", c.name);
      field("UniqueID", c.unique_id);
      field("State", c.state);
      field("Caller ID", c.caller);
      field("Age", clock_duration(c.age_seconds));
      field("Loop", c.loop);
      field("Technology", c.technology_module);
      field("Detail", c.detail);
      field("On hold", c.on_hold ? "yes (by the far end)" : "no");
      if (!c.media_stats.empty()) {
        o.line(cat("-- Media --"));
        for (auto& [k, v] : c.media_stats) field(k, v);
      }
      o.line(cat("-- Dialplan --"));
      field("Location", c.location);
      field("Application", c.application);
      field("App module", c.application_module);
      return 0;
    }
    o.line(cat("No channel named '", a[0], "' (see 'core show channels')"));
    return 1;
  }

  int show_applications(const Args& a, CommandOutput& o) {
    if (!a.empty()) return usage(o, "core show applications");
    auto names = core_.application_names();
    size_t width = 0;
    for (auto& n : names) width = std::max(width, n.size());
    size_t shown = 0;
    for (auto& n : names) {
      auto app = core_.find_application(n);
      if (!app) continue;  // its module is unloading
      o.line(cat(std::string(width - n.size() + 2, ' '), n, ": ", app->synopsis()));
      ++shown;
    }
    o.line(cat("    -= ", plural(int64_t(shown), "application", "applications"), " =-"));
    return 0;
  }

  int module_show(const Args& a, CommandOutput& o) {
    std::string pattern;
    if (a.size() == 2 && a[0] == "like")
      pattern = lower(a[1]);
    else if (!a.empty())
      return usage(o, "module show [like <pattern>]");
    TextTable table({"Module", "Description", "Use Count"});
    for (auto& m : core_.modules().list()) {
      if (!pattern.empty() && lower(m.name).find(pattern) == std::string::npos) continue;
      table.add_row({m.name, m.description, std::to_string(m.uses)});
    }
    table.print(o);
    o.line(cat(plural(int64_t(table.rows()), "module", "modules"), " loaded"));
    return 0;
  }

  int module_load(const Args& a, CommandOutput& o) {
    if (a.size() != 1) return usage(o, "module load <module>");
    auto r = core_.modules().load(a[0]);
    if (!r) {
      o.line(cat("Unable to load module ", a[0], ": ", r.message()));
      return 1;
    }
    o.line(cat("Loaded ", a[0]));
    return 0;
  }

  int module_unload(const Args& a, CommandOutput& o) {
    if (a.size() != 1) return usage(o, "module unload <module>");
    auto r = core_.modules().unload(a[0]);
    if (!r) {
      o.line(cat("Unable to unload ", a[0], ": ", r.message()));
      return 1;
    }
    o.line(cat("Unloaded ", a[0]));
    return 0;
  }

  int module_reload(const Args& a, CommandOutput& o) {
    if (a.size() > 1) return usage(o, "module reload [<module>]");
    std::vector<std::string> names = a.empty() ? loaded_modules() : a;
    int status = 0;
    for (auto& name : names) {
      auto r = core_.modules().reload(name);
      if (r) {
        o.line(cat("Reloaded ", name));
      } else {
        o.line(cat("Unable to reload ", name, ": ", r.message()));
        status = 1;
      }
    }
    return status;
  }

  static int logger_set_level(const Args& a, CommandOutput& o) {
    LogLevel level;
    if (a.size() != 1 || !parse_log_level(a[0], level))
      return usage(o, "logger set level <debug|verbose|notice|warning|error>");
    set_log_level(level);
    o.line(cat("Log level is now ", to_string(level)));
    return 0;
  }

  std::vector<std::string> channel_names() {
    std::vector<std::string> out;
    for (auto& c : core_.channels().list()) out.push_back(c.name);
    return out;
  }

  std::vector<std::string> loaded_modules() {
    std::vector<std::string> out;
    for (auto& m : core_.modules().list()) out.push_back(m.name);
    return out;
  }

  std::vector<std::string> unloaded_modules() {
    auto out = core_.modules().available();
    std::erase_if(out, [&](const std::string& n) { return core_.modules().is_loaded(n); });
    return out;
  }

  CoreImpl& core_;
  std::vector<Registration> registrations_;
};

}  // namespace

std::vector<Registration> register_core_commands(CoreImpl& core) {
  return std::make_shared<CoreCommands>(core)->register_all();
}

}  // namespace zvon
