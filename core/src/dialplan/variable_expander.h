// ${VAR}, ${VAR:offset:length} and ${FUNC(args)} substitution, as Asterisk does it: the
// inside of ${...} is expanded first (so ${${NAME}} works), then looked up. Unknown variables
// are empty. $[...] is substituted, then evaluated as an expression (expression.h).
// Pure; the caller's thread.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "zvon/result.h"

namespace zvon {

// Where expanded names are looked up (a channel, in the engine).
class VariableSource {
 public:
  virtual ~VariableSource() = default;
  virtual std::optional<std::string> variable(std::string_view name) = 0;
  // ${NAME(args)}: fails for an unknown function, or with the function's own error.
  virtual Result<std::string> function(std::string_view name, std::string_view args) = 0;
};

Result<std::string> expand_variables(std::string_view text, VariableSource& source);

// Asterisk's ${VAR:offset:length}: a negative offset counts from the end, a negative length
// leaves that many characters off the end.
std::string substring(std::string_view value, int offset, std::optional<int> length);

}  // namespace zvon
