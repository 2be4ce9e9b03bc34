// The dialplan functions built into the engine: IF, LEN, CUT, FILTER, REGEX, STRFTIME, RAND,
// EXISTS, ISNULL, CHANNEL, HANGUPCAUSE, GLOBAL, LOCAL, DB, DB_EXISTS, DB_DELETE. They are the
// language's own vocabulary (CALLERID is beside them); registered under the "core" owner like
// any module's. The channel's loop.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "zvon/application.h"
#include "zvon/module.h"

namespace zvon {

class DialplanEngineImpl;

// A function made of a reader and, when it can be assigned, a writer.
class SimpleFunction final : public DialplanFunction {
 public:
  using Reader = std::function<Result<std::string>(Channel&, std::string_view)>;
  using Writer = std::function<Result<void>(Channel&, std::string_view, std::string_view)>;
  SimpleFunction(std::string name, Reader read, Writer write = {})
      : name_(std::move(name)), read_(std::move(read)), write_(std::move(write)) {}
  std::string_view name() const override { return name_; }
  Result<std::string> read(Channel& c, std::string_view args) override { return read_(c, args); }
  Result<void> write(Channel& c, std::string_view args, std::string_view value) override {
    if (!write_) return DialplanFunction::write(c, args, value);
    return write_(c, args, value);
  }

 private:
  std::string name_;
  Reader read_;
  Writer write_;
};

class BuiltinFunctions {
 public:
  explicit BuiltinFunctions(DialplanEngineImpl& engine);
  std::vector<std::unique_ptr<SimpleFunction>>& all() { return functions_; }

 private:
  std::vector<std::unique_ptr<SimpleFunction>> functions_;
};

// Splits a function's argument text at commas outside parentheses and quotes (quotes kept).
std::vector<std::string> split_function_arguments(std::string_view args);
// "cond?a:b" at the top level: the condition, the true part and the false part.
struct Choice {
  std::string condition, if_true, if_false;
  bool has_false = false;
};
Choice split_choice(std::string_view text);

}  // namespace zvon
