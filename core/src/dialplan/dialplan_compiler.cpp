#include "dialplan/dialplan_compiler.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "dialplan/app_arguments.h"
#include "zvon/log.h"

namespace zvon {

std::string DialplanError::str() const {
  if (pos.file.empty()) return what;
  return pos.str() + ": " + what;
}

std::string DialplanCompileResult::message() const {
  std::string out;
  for (auto& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.str();
  }
  return out;
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// A piece of an entry's value with its offset in that value, for error columns.
struct Piece {
  std::string_view text;
  size_t offset = 0;
};

Piece trimmed(std::string_view text, size_t offset) {
  while (!text.empty() && is_blank(text.front())) {
    text.remove_prefix(1);
    ++offset;
  }
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return {text, offset};
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+';
}

bool is_app_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Where an unclosed "${" or "$[" starts in `args`, or npos.
size_t unclosed_substitution(std::string_view args) {
  std::vector<std::pair<size_t, char>> open;  // where, and the closing character it needs
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == '\\') {
      ++i;
      continue;
    }
    if (args[i] == '$' && i + 1 < args.size() && (args[i + 1] == '{' || args[i + 1] == '[')) {
      open.emplace_back(i, args[i + 1] == '{' ? '}' : ']');
      ++i;
    } else if (args[i] == '[' && !open.empty() && open.back().second == ']') {
      open.emplace_back(std::string_view::npos, ']');  // a [set] inside an expression's regex
    } else if (!open.empty() && args[i] == open.back().second) {
      open.pop_back();
    }
  }
  for (auto& [at, close] : open)
    if (at != std::string_view::npos) return at;
  return std::string_view::npos;
}

// The arguments as text and plain ${NAME} pieces; empty when something in them needs the
// expander ($[...], a function call, ${NAME:offset}, nesting).
std::vector<ArgumentSegment> plain_segments(std::string_view args) {
  std::vector<ArgumentSegment> out;
  std::string text;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] != '$' || i + 1 >= args.size() || (args[i + 1] != '{' && args[i + 1] != '[')) {
      text += args[i];
      continue;
    }
    if (args[i + 1] == '[') return {};
    size_t close = args.find('}', i + 2);
    if (close == std::string_view::npos) return {};
    std::string_view name = args.substr(i + 2, close - i - 2);
    if (name.empty()) return {};
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return {};
    if (!text.empty()) out.push_back({std::exchange(text, {}), false});
    out.push_back({std::string(name), true});
    i = close;
  }
  if (!text.empty()) out.push_back({std::move(text), false});
  return out;
}

// Splits the text pieces of plain segments at their commas, so that running the priority puts
// each value into its argument without splitting; false (and `p` unchanged) when the text
// holds what the splitter treats specially (quotes, escapes, parentheses).
bool split_segments_into_arguments(CompiledPriority& p) {
  size_t commas = 0;
  for (const ArgumentSegment& piece : p.segments) {
    if (piece.variable) continue;
    if (piece.text.find_first_of("\\\"()") != std::string::npos) return false;
    commas += size_t(std::count(piece.text.begin(), piece.text.end(), ','));
  }
  if (commas >= UINT16_MAX) return false;
  std::vector<ArgumentSegment> split;
  size_t argument = 0;
  for (ArgumentSegment& piece : p.segments) {
    if (piece.variable) {
      piece.argument = uint16_t(argument);
      split.push_back(std::move(piece));
      continue;
    }
    std::string_view rest = piece.text;
    for (;;) {
      size_t comma = rest.find(',');
      std::string_view part = rest.substr(0, comma);
      if (!part.empty()) split.push_back({std::string(part), false, uint16_t(argument)});
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
      ++argument;
    }
  }
  p.segments = std::move(split);
  p.argument_count = uint16_t(argument + 1);
  p.direct = true;
  return true;
}

class Compiler {
 public:
  explicit Compiler(const Config& config) : config_(config) {
    plan_ = std::make_shared<CompiledDialplan>();
    plan_->file = config.file();
  }

  DialplanCompileResult run() {
    for (const ConfigSection& section : config_.sections()) {
      if (section.is_template) continue;  // only inherited by the sections that name it
      if (section.name == "general") continue;  // Asterisk's settings; none apply here
      if (section.name == "globals") {
        for (const ConfigEntry& e : section.entries) plan_->globals.emplace_back(e.key, e.value);
        continue;
      }
      compile_context(section);
    }
    for (auto& [name, context] : plan_->contexts) {
      for (auto& inc : context.includes)
        if (!plan_->context(inc.context))
          error(inc.pos, 0, cat("include => ", inc.context, ": there is no context [", inc.context,
                                "] in the dialplan"));
      for (auto& [n, ext] : context.exact) pair_whiles(context, ext);
      for (auto& ext : context.patterns) pair_whiles(context, ext);
    }
    for (auto& [name, context] : plan_->contexts) {
      std::stable_sort(context.patterns.begin(), context.patterns.end(),
                       [](const CompiledExtension& a, const CompiledExtension& b) {
                         return ExtensionPattern::compare(*a.pattern, *b.pattern) < 0;
                       });
      context.index();
    }
    DialplanCompileResult result;
    result.errors = std::move(errors_);
    if (result.errors.empty()) result.plan = std::move(plan_);
    return result;
  }

 private:
  void error(const SourcePos& base, size_t offset, std::string what) {
    SourcePos at = base;
    at.column += int(offset);
    errors_.push_back({std::move(at), std::move(what)});
  }

  void compile_context(const ConfigSection& section) {
    for (char c : section.name)
      if (!is_name_char(c)) {
        error(section.pos, 1, cat("context name '", section.name,
                                  "' may hold letters, digits and _ - . + only"));
        return;
      }
    auto [it, fresh] = plan_->contexts.try_emplace(section.name);
    CompiledContext& context = it->second;
    if (fresh) {
      context.name = section.name;
      context.pos = section.pos;
    }
    // `same =>` continues the extension of the line before, within this section only.
    CompiledExtension* current = nullptr;
    for (const ConfigEntry& e : section.entries) {
      if (e.key == "exten") {
        current = exten_line(context, e);
      } else if (e.key == "same") {
        if (!current) {
          error(e.pos, 0, cat("'same =>' in [", section.name,
                              "] has no extension to continue: write 'exten => NAME,1,App()' before it"));
          continue;
        }
        same_line(context, *current, e, {e.value, 0});
      } else if (e.key == "include") {
        include_line(context, e);
      } else if (e.key == "switch" || e.key == "ignorepat") {
        error(e.pos, 0, cat("'", e.key, " =>' is not supported yet"));
      } else {
        error(e.pos, 0, cat("unknown line '", e.key, "' in context [", section.name,
                            "]: a context holds 'exten => ...' and 'same => ...' lines"));
      }
    }
  }

  // include => other[,times,weekdays,mdays,months[,zone]]
  void include_line(CompiledContext& context, const ConfigEntry& e) {
    std::string_view value = e.value;
    size_t comma = value.find(',');
    Piece name = trimmed(value.substr(0, comma), 0);
    CompiledInclude inc;
    inc.context = std::string(name.text);
    inc.pos = e.value_pos;
    if (name.text.empty()) {
      error(e.value_pos, 0, "include => needs a context name");
      return;
    }
    if (comma != std::string_view::npos) {
      auto when = TimeSpec::parse(value.substr(comma + 1));
      if (!when) {
        error(e.value_pos, comma + 1, cat("include => ", name.text, ": ", when.message()));
        return;
      }
      inc.when = std::move(*when);
    }
    context.includes.push_back(std::move(inc));
  }

  // Links each While to its EndWhile (and ExitWhile to the EndWhile of its loop), in priority
  // order; an unbalanced one is an error at its line.
  void pair_whiles(CompiledContext& context, CompiledExtension& ext) {
    auto is = [](const CompiledPriority& p, std::string_view app) {
      if (p.app.size() != app.size()) return false;
      for (size_t i = 0; i < app.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(p.app[i])) != app[i]) return false;
      return true;
    };
    std::vector<CompiledPriority*> open;
    std::vector<std::vector<CompiledPriority*>> exits;
    for (auto& [number, p] : ext.priorities) {
      if (is(p, "while")) {
        open.push_back(&p);
        exits.emplace_back();
      } else if (is(p, "exitwhile")) {
        if (open.empty())
          error(p.pos, 0, cat("ExitWhile() outside any While() in extension '", ext.name, "' of [",
                              context.name, "]"));
        else
          exits.back().push_back(&p);
      } else if (is(p, "endwhile")) {
        if (open.empty()) {
          error(p.pos, 0, cat("EndWhile() without its While() in extension '", ext.name, "' of [",
                              context.name, "]"));
          continue;
        }
        open.back()->partner = number;
        p.partner = open.back()->number;
        for (auto* x : exits.back()) x->partner = number;
        open.pop_back();
        exits.pop_back();
      }
    }
    for (auto* w : open)
      error(w->pos, 0, cat("While() without its EndWhile() in extension '", ext.name, "' of [",
                           context.name, "]: add 'same => n,EndWhile()' after the loop's body"));
  }

  // exten => NAME,PRIORITY,App(args). Returns the extension, or null after an error in its name.
  CompiledExtension* exten_line(CompiledContext& context, const ConfigEntry& e) {
    std::string_view value = e.value;
    size_t comma = value.find(',');
    Piece name = trimmed(value.substr(0, comma), 0);
    if (name.text.empty() || comma == std::string_view::npos) {
      error(e.value_pos, 0, cat("expected 'exten => NAME,PRIORITY,Application(arguments)', found '",
                                value, "'"));
      return nullptr;
    }
    std::string_view rest = value.substr(comma + 1);
    if (Piece prio = trimmed(rest.substr(0, rest.find(',')), comma + 1); prio.text == "hint") {
      hint_line(context, e, name, {rest, comma + 1});
      return nullptr;  // a hint is no extension: `same =>` cannot continue it
    }
    CompiledExtension* ext = find_or_add_extension(context, e, name);
    if (!ext) return nullptr;
    same_line(context, *ext, e, {value.substr(comma + 1), comma + 1});
    return ext;
  }

  // exten => NAME,hint,DEVICE[&DEVICE...]; `rest` starts at "hint".
  void hint_line(CompiledContext& context, const ConfigEntry& e, Piece name, Piece rest) {
    size_t comma = rest.text.find(',');
    Piece devices = comma == std::string_view::npos
                        ? Piece{{}, rest.offset + rest.text.size()}
                        : trimmed(rest.text.substr(comma + 1), rest.offset + comma + 1);
    if (is_pattern(name.text)) {
      error(e.value_pos, name.offset, cat("a hint needs an exact extension, not the pattern '",
                                          name.text, "'"));
      return;
    }
    if (devices.text.empty()) {
      error(e.value_pos, devices.offset,
            cat("hint of '", name.text, "' names no device: write 'exten => ", name.text,
                ",hint,SIP/", name.text, "'"));
      return;
    }
    auto [it, fresh] = context.hints.try_emplace(std::string(name.text));
    if (!fresh) {
      error(e.value_pos, name.offset,
            cat("second hint for '", name.text, "' in [", context.name, "] (the first is at ",
                it->second.pos.file, ":", it->second.pos.line, ")"));
      return;
    }
    it->second = CompiledHint{std::string(name.text), std::string(devices.text), e.pos};
  }

  CompiledExtension* find_or_add_extension(CompiledContext& context, const ConfigEntry& e,
                                           Piece name) {
    std::string key(name.text);
    if (is_pattern(name.text)) {
      auto& known = patterns_by_name_[&context];
      if (auto it = known.find(key); it != known.end()) return it->second;
      size_t at = 0;
      auto pattern = ExtensionPattern::parse(name.text, &at);
      if (!pattern) {
        error(e.value_pos, name.offset + at, pattern.message());
        return nullptr;
      }
      CompiledExtension ext;
      ext.name = key;
      ext.pattern = std::move(*pattern);
      ext.pos = e.pos;
      context.patterns.push_back(std::move(ext));
      return known[key] = &context.patterns.back();
    }
    for (size_t i = 0; i < name.text.size(); ++i) {
      char c = name.text[i];
      if (is_blank(c) || std::string_view("()${}[],\"';").find(c) != std::string_view::npos) {
        error(e.value_pos, name.offset + i,
              cat("'", std::string(1, c), "' is not allowed in extension '", name.text,
                  "' (a pattern starts with '_')"));
        return nullptr;
      }
    }
    auto [it, fresh] = context.exact.try_emplace(key);
    if (fresh) {
      it->second.name = key;
      it->second.pos = e.pos;
    }
    return &it->second;
  }

  // PRIORITY,App(args) of `ext`; `rest` is that part of the entry's value.
  void same_line(CompiledContext& context, CompiledExtension& ext, const ConfigEntry& e,
                 Piece rest) {
    size_t comma = rest.text.find(',');
    if (comma == std::string_view::npos) {
      error(e.value_pos, rest.offset,
            cat("expected 'PRIORITY,Application(arguments)' after the extension, found '",
                rest.text, "'"));
      return;
    }
    Piece prio = trimmed(rest.text.substr(0, comma), rest.offset);
    Piece call = trimmed(rest.text.substr(comma + 1), rest.offset + comma + 1);

    CompiledPriority p;
    p.pos = e.pos;
    if (!parse_priority(ext, e, prio, p)) return;
    if (!parse_call(e, call, p)) return;

    if (const CompiledPriority* old = ext.priority(p.number)) {
      error(e.value_pos, prio.offset,
            cat("duplicate priority ", p.number, " of extension '", ext.name, "' in [",
                context.name, "] (already at ", old->pos.file, ":", old->pos.line, ")"));
      return;
    }
    if (!p.label.empty()) {
      auto [it, fresh] = ext.labels.try_emplace(p.label, p.number);
      if (!fresh) {
        error(e.value_pos, prio.offset,
              cat("duplicate label '", p.label, "' in extension '", ext.name, "' of [",
                  context.name, "] (already priority ", it->second, ")"));
        return;
      }
    }
    last_priority_[&ext] = p.number;
    prepare(p);
    ext.priorities.emplace(p.number, std::move(p));
  }

  bool parse_priority(const CompiledExtension& ext, const ConfigEntry& e, Piece prio,
                      CompiledPriority& p) {
    std::string_view text = prio.text;
    size_t open = text.find('(');
    if (open != std::string_view::npos) {
      if (text.back() != ')') {
        error(e.value_pos, prio.offset + open, cat("label '", text.substr(open),
                                                   "' is missing its closing ')'"));
        return false;
      }
      std::string_view label = text.substr(open + 1, text.size() - open - 2);
      if (label.empty()) {
        error(e.value_pos, prio.offset + open, "empty label '()'");
        return false;
      }
      for (size_t i = 0; i < label.size(); ++i)
        if (!is_name_char(label[i])) {
          error(e.value_pos, prio.offset + open + 1 + i,
                cat("label '", label, "' may hold letters, digits and _ - . + only"));
          return false;
        }
      if (std::isdigit(static_cast<unsigned char>(label.front()))) {
        error(e.value_pos, prio.offset + open + 1,
              cat("label '", label, "' must not start with a digit: Goto would take it for a priority"));
        return false;
      }
      p.label = std::string(label);
      text = text.substr(0, open);
      while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    }
    if (text == "n") {
      auto it = last_priority_.find(&ext);
      if (it == last_priority_.end()) {
        error(e.value_pos, prio.offset,
              cat("priority 'n' of extension '", ext.name,
                  "' comes before any numbered priority: start the extension with 1"));
        return false;
      }
      p.number = it->second + 1;
      return true;
    }
    if (text == "hint") {
      error(e.value_pos, prio.offset,
            cat("a hint is written on an 'exten =>' line of its own: 'exten => ", ext.name,
                ",hint,DEVICE'"));
      return false;
    }
    int number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || number < 1) {
      error(e.value_pos, prio.offset,
            cat("priority '", prio.text, "' must be a number from 1, or 'n', optionally with a (label)"));
      return false;
    }
    p.number = number;
    return true;
  }

  bool parse_call(const ConfigEntry& e, Piece call, CompiledPriority& p) {
    std::string_view text = call.text;
    if (text.empty()) {
      error(e.value_pos, call.offset, "missing the application after the priority");
      return false;
    }
    size_t open = text.find('(');
    if (open == std::string_view::npos) {
      if (!is_app_name(text)) {
        size_t bad = 0;
        while (bad < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[bad])) || text[bad] == '_'))
          ++bad;
        error(e.value_pos, call.offset + bad,
              cat("missing '(' after application name in '", text,
                  "': write App(arguments)"));
        return false;
      }
      p.app = std::string(text);
      return true;
    }
    std::string_view name = text.substr(0, open);
    while (!name.empty() && is_blank(name.back())) name.remove_suffix(1);
    if (!is_app_name(name)) {
      error(e.value_pos, call.offset,
            cat("'", name, "' is not an application name (letters, digits and _)"));
      return false;
    }
    if (text.back() != ')') {
      size_t close = text.rfind(')');
      if (close != std::string_view::npos && close > open)
        error(e.value_pos, call.offset + close + 1,
              cat("unexpected '", text.substr(close + 1), "' after the closing ')' of ", name, "()"));
      else
        error(e.value_pos, call.offset + open, cat("missing ')' to close '", text, "'"));
      return false;
    }
    std::string_view args = text.substr(open + 1, text.size() - open - 2);
    if (size_t bad = unclosed_substitution(args); bad != std::string_view::npos) {
      bool brace = args[bad + 1] == '{';
      error(e.value_pos, call.offset + open + 1 + bad,
            cat(brace ? "'${' without its closing '}'" : "'$[' without its closing ']'",
                " in the arguments of ", name, "()"));
      return false;
    }
    p.app = std::string(name);
    p.args = std::string(args);
    return true;
  }

  // Fills what running `p` needs beyond its text: its application's number, its arguments
  // split when nothing in them is substituted.
  void prepare(CompiledPriority& p) {
    std::string folded = p.app;
    for (auto& c : folded) c = char(std::tolower(static_cast<unsigned char>(c)));
    auto [it, fresh] = app_ids_.try_emplace(folded, uint32_t(plan_->app_names.size()));
    if (fresh) plan_->app_names.push_back(std::move(folded));
    p.app_id = it->second;
    p.literal = p.args.find("${") == std::string::npos && p.args.find("$[") == std::string::npos;
    if (p.literal)
      p.split = split_app_arguments(p.args);
    else if (p.segments = plain_segments(p.args); !p.segments.empty())
      split_segments_into_arguments(p);
  }

  const Config& config_;
  std::shared_ptr<CompiledDialplan> plan_;
  std::vector<DialplanError> errors_;
  std::unordered_map<const CompiledExtension*, int> last_priority_;
  std::unordered_map<std::string, uint32_t> app_ids_;  // index in plan_->app_names
  // The patterns of each context by name while it is compiled (they are sorted at the end).
  std::unordered_map<const CompiledContext*, std::unordered_map<std::string, CompiledExtension*>>
      patterns_by_name_;
};

}  // namespace

DialplanCompileResult compile_dialplan(const Config& config) { return Compiler(config).run(); }

DialplanCompileResult compile_dialplan_file(const std::filesystem::path& path) {
  auto config = Config::parse_file(path);
  if (!config) {
    DialplanCompileResult r;
    r.errors.push_back({SourcePos{}, config.message()});
    return r;
  }
  return compile_dialplan(*config);
}

}  // namespace zvon
