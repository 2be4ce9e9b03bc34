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
#include "dialplan/time_spec.h"
#include "zvon/config.h"

namespace zvon {

// One step: `exten => 100,2(label),App(args)`.
struct CompiledPriority {
  int number = 0;
  std::string label;  // "" when none
  std::string app;    // "Dial"
  std::string args;   // the text between the parentheses, not yet expanded
  SourcePos pos;      // where the line starts
  int partner = 0;    // While <-> its EndWhile (ExitWhile: its EndWhile); 0 when none
};

// include => other[,times,weekdays,mdays,months[,zone]]
struct CompiledInclude {
  std::string context;
  std::optional<TimeSpec> when;  // only while this matches
  SourcePos pos;
};

class CompiledExtension {
 public:
  std::string name;                        // "100" or "_1XX"
  std::optional<ExtensionPattern> pattern; // set for "_..." extensions
  SourcePos pos;                           // its first line
  std::map<int, CompiledPriority> priorities;
  std::unordered_map<std::string, int> labels;

  const CompiledPriority* priority(int number) const {
    auto it = priorities.find(number);
    return it == priorities.end() ? nullptr : &it->second;
  }
  // A label or a priority number that exists; nullopt otherwise.
  std::optional<int> resolve(std::string_view label_or_number) const;
};

class CompiledContext {
 public:
  std::string name;
  SourcePos pos;
  std::unordered_map<std::string, CompiledExtension> exact;
  std::deque<CompiledExtension> patterns;  // most specific first (a deque: stable while compiling)
  std::vector<CompiledInclude> includes;   // tried in file order after the context's own

  // The extension `exten` runs: an exact one, else the most specific matching pattern.
  const CompiledExtension* match(std::string_view exten) const;
  // Exact name lookup, "_1XX" included (for `dialplan show`).
  const CompiledExtension* by_name(std::string_view name) const;
  size_t extension_count() const { return exact.size() + patterns.size(); }
};

class CompiledDialplan {
 public:
  std::string file;
  std::unordered_map<std::string, CompiledContext> contexts;
  std::vector<std::pair<std::string, std::string>> globals;  // [globals], in file order

  const CompiledContext* context(std::string_view name) const;
  // Through `include =>` too (in order, after the context's own extensions; time-conditional
  // includes count only when they match `now`).
  const CompiledExtension* match(std::string_view context, std::string_view exten,
                                 std::time_t now) const;
  const CompiledExtension* match(std::string_view context, std::string_view exten) const;
  std::optional<std::string_view> global(std::string_view name) const;
  size_t extension_count() const;
  // Context names, sorted.
  std::vector<std::string> context_names() const;
};

}  // namespace zvon
