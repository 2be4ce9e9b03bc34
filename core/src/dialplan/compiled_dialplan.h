// The dialplan as the runtime uses it: contexts of extensions of priorities, compiled from
// extensions.conf. Immutable once built, shared as shared_ptr<const CompiledDialplan>: a
// reload builds a new one and channels that run keep the one they hold. Any thread may read.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dialplan/extension_pattern.h"
#include "dialplan/pattern_index.h"
#include "dialplan/time_spec.h"
#include "zvon/application.h"
#include "zvon/config.h"
#include "zvon/dialplan.h"

namespace zvon {

// Lets the maps below be searched with a string_view, without building a std::string key.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// A piece of an application's arguments: text as written, or a plain ${NAME}.
struct ArgumentSegment {
  std::string text;  // the text, or the variable's name
  bool variable = false;
  uint16_t argument = 0;  // the application argument it belongs to, when the priority is `direct`
};

// One step: `exten => 100,2(label),App(args)`.
struct CompiledPriority {
  // What running it reads comes first, so that a step touches few cache lines.
  int number = 0;
  uint32_t app_id = 0;  // index of the application's name in CompiledDialplan::app_names
  // Arguments without ${...} or $[...] are split once, here: running such a priority expands
  // and allocates nothing.
  bool literal = false;
  // The segments' text has no quote, backslash or parenthesis, and its commas were taken out
  // at compile time: each value goes straight into its argument, with no split when it runs.
  bool direct = false;
  uint16_t argument_count = 0;  // when `direct`
  int partner = 0;    // While <-> its EndWhile (ExitWhile: its EndWhile); 0 when none
  AppArgs split;      // split_app_arguments(args) when `literal`
  // When the arguments hold only text and plain ${NAME}s (no functions, no :offset, no
  // $[...]), those pieces: running the priority puts them together without the expander.
  std::vector<ArgumentSegment> segments;
  std::string app;    // "Dial"
  std::string label;  // "" when none
  std::string args;   // the text between the parentheses, not yet expanded
  SourcePos pos;      // where the line starts
};

// exten => 101,hint,SIP/101&SIP/101b: the devices whose state tells whether extension 101 is
// busy (Asterisk's hints, for BLF). Not an extension: calls never run it.
struct CompiledHint {
  std::string exten;
  std::string devices;
  SourcePos pos;
};

// include => other[,times,weekdays,mdays,months[,zone]]
struct CompiledInclude {
  std::string context;
  std::optional<TimeSpec> when;  // only while this matches
  SourcePos pos;
};

class CompiledExtension {
 public:
  // Moves keep the map's nodes (and so the table's pointers); a copy would not.
  CompiledExtension() = default;
  CompiledExtension(CompiledExtension&&) = default;
  CompiledExtension& operator=(CompiledExtension&&) = default;
  CompiledExtension(const CompiledExtension&) = delete;
  CompiledExtension& operator=(const CompiledExtension&) = delete;

  std::string name;                        // "100" or "_1XX"
  std::optional<ExtensionPattern> pattern; // set for "_..." extensions
  SourcePos pos;                           // its first line
  std::map<int, CompiledPriority> priorities;
  StringMap<int> labels;

  const CompiledPriority* priority(int number) const {
    if (number >= 0 && size_t(number) < by_number_.size()) return by_number_[size_t(number)];
    if (!by_number_.empty()) return nullptr;  // the table covers every number there is
    auto it = priorities.find(number);
    return it == priorities.end() ? nullptr : &it->second;
  }
  // Builds the table priority() reads once the priorities are final (each step of a call
  // looks its priority up: an index instead of a tree walk).
  void index();
  // A label or a priority number that exists; nullopt otherwise.
  std::optional<int> resolve(std::string_view label_or_number) const;

 private:
  // By number; empty when the numbers are too sparse for a table (then the map is used).
  std::vector<const CompiledPriority*> by_number_;
};

class CompiledContext {
 public:
  std::string name;
  SourcePos pos;
  StringMap<CompiledExtension> exact;
  std::deque<CompiledExtension> patterns;  // most specific first (a deque: stable while compiling)
  std::vector<CompiledInclude> includes;   // tried in file order after the context's own
  StringMap<CompiledHint> hints;            // by extension name

  // Builds the lookup structures once the extensions are final (patterns sorted).
  void index();
  // The extension `exten` runs: an exact one, else the most specific matching pattern.
  const CompiledExtension* match(std::string_view exten) const;
  // Whether `exten` matches here, and whether a longer number starting with it would.
  DigitMatch lookahead(std::string_view exten) const;
  // Exact name lookup, "_1XX" included (for `dialplan show`).
  const CompiledExtension* by_name(std::string_view name) const;
  size_t extension_count() const { return exact.size() + patterns.size(); }

 private:
  PatternIndex pattern_index_;
  std::vector<std::string_view> exact_sorted_;  // the keys of `exact`, for prefix questions
};

class CompiledDialplan {
 public:
  std::string file;
  StringMap<CompiledContext> contexts;
  std::vector<std::pair<std::string, std::string>> globals;  // [globals], in file order
  // The applications the priorities name, each once (lower case): a run looks each up once
  // instead of by name at every priority.
  std::vector<std::string> app_names;

  const CompiledContext* context(std::string_view name) const;
  // Through `include =>` too (in order, after the context's own extensions; time-conditional
  // includes count only when they match `now`).
  const CompiledExtension* match(std::string_view context, std::string_view exten,
                                 std::time_t now) const;
  const CompiledExtension* match(std::string_view context, std::string_view exten) const;
  // DigitMatch of `exten` in `context` and what it includes (at `now`).
  DigitMatch lookahead(std::string_view context, std::string_view exten, std::time_t now) const;
  std::optional<std::string_view> global(std::string_view name) const;
  size_t extension_count() const;
  // Context names, sorted.
  std::vector<std::string> context_names() const;
};

}  // namespace zvon
