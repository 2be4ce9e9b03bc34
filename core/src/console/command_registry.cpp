#include "console/command_registry.h"

#include <algorithm>

#include "zvon/log.h"

namespace zvon {

std::vector<std::string> CommandRegistry::split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_quotes = false, have = false;
  for (char c : line) {
    if (c == '"') {
      in_quotes = !in_quotes;
      have = true;
    } else if (!in_quotes && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (have) words.push_back(std::move(cur));
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) words.push_back(std::move(cur));
  return words;
}

Result<Registration> CommandRegistry::add(ConsoleCommand command, std::string owner) {
  if (command.words.empty() || !command.run) return make_error("a console command needs words and a run function");
  std::lock_guard lock(mutex_);
  for (auto& e : entries_)
    if (e->command.words == command.words) {
      std::string w;
      for (auto& x : command.words) w += (w.empty() ? "" : " ") + x;
      return make_error(cat("console command '", w, "' is registered already by ", e->owner));
    }
  auto entry = std::make_shared<const Entry>(Entry{std::move(command), std::move(owner)});
  entries_.push_back(entry);
  return Registration([this, p = entry.get()] {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [p](auto& e) { return e.get() == p; });
  });
}

std::shared_ptr<const CommandRegistry::Entry> CommandRegistry::find(const std::vector<std::string>& words,
                                                                    size_t& used) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<const Entry> best;
  used = 0;
  for (auto& e : entries_) {
    auto& w = e->command.words;
    if (w.size() > words.size() || w.size() <= used) continue;
    if (std::equal(w.begin(), w.end(), words.begin())) {
      best = e;
      used = w.size();
    }
  }
  return best;
}

int CommandRegistry::execute(std::string_view line, CommandOutput& out) {
  auto words = split_words(line);
  if (words.empty()) return 0;
  size_t used = 0;
  auto entry = find(words, used);
  if (!entry) {
    out.line(cat("No such command '", line, "' (type 'help' for the list of commands)"));
    return 1;
  }
  std::vector<std::string> args(words.begin() + long(used), words.end());
  try {
    return entry->command.run(args, out);
  } catch (const std::exception& e) {
    out.line(cat("command failed: ", e.what()));
    return 1;
  }
}

void CommandRegistry::execute_later(std::string_view line,
                                    std::function<void(std::string output, int status)> done) {
  auto words = split_words(line);
  size_t used = 0;
  auto entry = words.empty() ? nullptr : find(words, used);
  if (!entry || !entry->command.run_later) {
    struct Collected final : CommandOutput {
      std::string text;
      void write(std::string_view t) override { text.append(t); }
    } out;
    const int status = execute(line, out);
    done(std::move(out.text), status);
    return;
  }
  std::vector<std::string> args(words.begin() + long(used), words.end());
  // Whoever waits for `done` must hear of a command that threw before calling it.
  auto once = std::make_shared<std::function<void(std::string, int)>>(std::move(done));
  try {
    entry->command.run_later(args, [once](std::string output, int status) {
      if (auto d = std::exchange(*once, nullptr)) d(std::move(output), status);
    });
  } catch (const std::exception& e) {
    if (auto d = std::exchange(*once, nullptr)) d(cat("command failed: ", e.what(), "\n"), 1);
  }
}

std::vector<std::string> CommandRegistry::complete(std::string_view line) {
  auto words = split_words(line);
  std::string partial;
  if (!line.empty() && line.back() != ' ' && !words.empty()) {
    partial = words.back();
    words.pop_back();
  }
  std::vector<std::string> out;
  std::vector<std::shared_ptr<const Entry>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = entries_;
  }
  for (auto& e : snapshot) {
    auto& w = e->command.words;
    if (words.size() < w.size()) {
      if (std::equal(words.begin(), words.end(), w.begin()) && w[words.size()].starts_with(partial))
        out.push_back(w[words.size()]);
    } else if (std::equal(w.begin(), w.end(), words.begin()) && e->command.complete) {
      std::vector<std::string> args(words.begin() + long(w.size()), words.end());
      for (auto& c : e->command.complete(args, partial))
        if (c.starts_with(partial)) out.push_back(c);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> CommandRegistry::command_lines() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto& e : entries_) {
    std::string s;
    for (auto& w : e->command.words) s += (s.empty() ? "" : " ") + w;
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CommandRegistry::help(const std::vector<std::string>& prefix, CommandOutput& out) {
  std::vector<std::shared_ptr<const Entry>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = entries_;
  }
  std::sort(snapshot.begin(), snapshot.end(),
            [](auto& a, auto& b) { return a->command.words < b->command.words; });
  size_t shown = 0;
  for (auto& e : snapshot) {
    auto& w = e->command.words;
    size_t n = std::min(prefix.size(), w.size());
    if (!std::equal(prefix.begin(), prefix.begin() + long(n), w.begin())) continue;
    std::string syntax;
    for (auto& x : w) syntax += (syntax.empty() ? "" : " ") + x;
    if (!e->command.arguments.empty()) syntax += " " + e->command.arguments;
    std::string pad(syntax.size() < 40 ? 40 - syntax.size() : 1, ' ');
    out.line(cat(syntax, pad, e->command.summary));
    ++shown;
  }
  if (shown == 0) out.line("No commands start with that; type 'help' for all of them");
}

}  // namespace zvon
